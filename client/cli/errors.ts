import { ClientError } from '../core/errors.js'

/**
 * The CLI's own codes, for mistakes in what a script typed (the engine's `M…` codes pass
 * through unchanged). Usage mistakes exit with 2, everything else with 1.
 */
export const CliErrorCode = {
  USAGE: 'C100_USAGE',
  NO_IDENTITY: 'C101_NO_IDENTITY',
  UNKNOWN_ORG: 'C200_UNKNOWN_ORG',
  UNKNOWN_GROUP: 'C201_UNKNOWN_GROUP',
  UNKNOWN_USER: 'C202_UNKNOWN_USER',
  AMBIGUOUS_NAME: 'C203_AMBIGUOUS_NAME',
  UNKNOWN_INVITE: 'C204_UNKNOWN_INVITE',
  NOT_IN_SYNC: 'C300_NOT_IN_SYNC',
  UNEXPECTED: 'C900_UNEXPECTED',
} as const
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode]

export class CliError extends Error {
  override name = 'CliError'
  /** `data` goes into the JSON error as it is (e.g. the candidates of an ambiguous name). */
  constructor(readonly code: CliErrorCode, message: string, readonly data?: Record<string, unknown>) {
    super(message)
  }
}

export const usageError = (message: string): CliError => new CliError(CliErrorCode.USAGE, message)

/** What a script sees of any failure: a code, a sentence, and extra data when there is some. */
export function describeError(err: unknown): { code: string; message: string; exitCode: number; data?: Record<string, unknown> } {
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: err.code === CliErrorCode.USAGE ? 2 : 1, ...(err.data ? { data: err.data } : {}) }
  // A file the checks refused carries its verdict (reasons, real type) for scripts ([H7]).
  if (err instanceof ClientError) return { code: err.code, message: err.message, exitCode: 1, ...('verdict' in err ? { data: { verdict: err.verdict } } : {}) }
  // parseArgs reports unknown or malformed options as TypeErrors with a code of its own.
  const nodeCode = (err as { code?: unknown } | undefined)?.code
  if (typeof nodeCode === 'string' && nodeCode.startsWith('ERR_PARSE_ARGS')) return { code: CliErrorCode.USAGE, message: (err as Error).message, exitCode: 2 }
  return { code: CliErrorCode.UNEXPECTED, message: err instanceof Error ? err.message : String(err), exitCode: 1 }
}
