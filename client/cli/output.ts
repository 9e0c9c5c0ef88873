import { describeError } from './errors.js'

/**
 * What a command prints: one line (or block) for people, one JSON document for scripts. A
 * command that prints as it goes (`follow`) returns nothing instead.
 */
export interface Result {
  readonly human: string
  readonly data: unknown
  /** Non-zero for an answer that is not a failure but should stop a script (a verification mismatch). */
  readonly exitCode?: number
}

export const result = (human: string, data: unknown, exitCode?: number): Result => ({ human, data, ...(exitCode ? { exitCode } : {}) })

export function printResult(json: boolean, r: Result): void {
  process.stdout.write(json ? `${JSON.stringify(r.data)}\n` : r.human ? `${r.human}\n` : '')
}

/** One line per streamed item (`follow`): a JSON document per line with --json. */
export function printLine(json: boolean, human: string, data: unknown): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`)
}

/**
 * With --json the error is the one document on stdout, so a script reads it where it reads
 * answers; otherwise a readable line on stderr. Returns the exit code.
 */
export function printError(json: boolean, err: unknown): number {
  const e = describeError(err)
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message, ...e.data } })}\n`)
  else process.stderr.write(`error: ${e.code}: ${e.message}\n`)
  return e.exitCode
}

export const iso = (ms: number): string => new Date(ms).toISOString()

/** "1 device", "2 devices". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`

/** Rows of columns separated by two spaces, for the human listings. */
export const lines = (rows: readonly (readonly string[])[]): string => rows.map((r) => r.filter(Boolean).join('  ')).join('\n')
