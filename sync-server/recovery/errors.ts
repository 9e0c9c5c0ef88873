import type { ServerResponse } from 'node:http'

/**
 * [S14] The recovery endpoints' error catalogue. The number in a code is its HTTP status; the
 * message is for the remote client and says no more than the client already knows (the client
 * shows its own text for the person). Body: `{"error":{"code","message"}}`.
 */
export const RECOVERY_ERRORS = {
  R400_BAD_ADDRESS: { status: 400, message: 'The address must be /recovery/ followed by 64 lowercase hex characters.' },
  R400_BAD_WRITE_SECRET: { status: 400, message: 'The x-fieldchat-write header must be 64 lowercase hex characters.' },
  R400_BAD_SIZE: { status: 400, message: 'The body must be a power of two from 4096 to 4194304 bytes.' },
  R403_WRONG_WRITE_SECRET: { status: 403, message: 'The write secret does not match this address.' },
  R404_NOT_FOUND: { status: 404, message: 'No blob at this address.' },
  R405_METHOD: { status: 405, message: 'Use GET, PUT or DELETE.' },
  R409_GONE: { status: 409, message: 'No blob at this address to replace: it was deleted.' },
  R408_BODY_TIMEOUT: { status: 408, message: 'The body did not arrive in time.' },
  R413_TOO_LARGE: { status: 413, message: 'The body exceeds 4194304 bytes.' },
  R429_RATE_LIMITED: { status: 429, message: 'Too many requests: retry after the given seconds.' },
  R500_INTERNAL: { status: 500, message: 'Internal error.' },
  R503_BUSY: { status: 503, message: 'Too many uploads at once: retry shortly.' },
  R507_FULL: { status: 507, message: 'The server holds as many recovery blobs as it may.' },
} as const satisfies Record<string, { status: number; message: string }>

export type RecoveryErrorCode = keyof typeof RECOVERY_ERRORS

/** Headers on every /recovery answer: never cached, never sniffed. */
export const RECOVERY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const

/**
 * Answers with a coded error. `closeAfter`: the request's body was not read to its end, so the
 * connection is closed after the answer instead of being drained for keep-alive.
 */
export function refuse(res: ServerResponse, code: RecoveryErrorCode, closeAfter: boolean, extra: Record<string, string> = {}): void {
  const { status, message } = RECOVERY_ERRORS[code]
  const body = JSON.stringify({ error: { code, message } })
  res.writeHead(status, {
    ...RECOVERY_HEADERS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(closeAfter ? { connection: 'close' } : {}),
    ...extra,
  })
  res.end(body)
}
