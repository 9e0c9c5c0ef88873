/**
 * Programmer error (wrong type, wrong length, bad argument) throws CryptoMisuse at once.
 * Forged or corrupt *input* never throws: it comes back as an OpenResult with a code ([C0]).
 */
export class CryptoMisuse extends Error {
  override name = 'CryptoMisuse'
}

/** Codes for rejected input, numbered in crypto/SPEC.md. */
export const CryptoErrorCode = {
  MALFORMED: 'C100_MALFORMED',
  BAD_SIGNATURE: 'C101_BAD_SIGNATURE',
  WRONG_CONTEXT: 'C102_WRONG_CONTEXT',
  NO_KEY: 'C103_NO_KEY',
  DECRYPT_FAILED: 'C104_DECRYPT_FAILED',
  HEADER_MISMATCH: 'C105_HEADER_MISMATCH',
  BAD_PADDING: 'C106_BAD_PADDING',
  BAD_KEY: 'C107_BAD_KEY',
  UNSUPPORTED_VERSION: 'C108_UNSUPPORTED_VERSION',
  /** [E14] A signal seen before, or sent outside the time window. */
  REPLAYED: 'C109_REPLAYED',
} as const
export type CryptoErrorCode = (typeof CryptoErrorCode)[keyof typeof CryptoErrorCode]

export type Result<T> = { ok: true; value: T } | { ok: false; code: CryptoErrorCode; detail?: string }
export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = <T = never>(code: CryptoErrorCode, detail?: string): Result<T> =>
  detail === undefined ? { ok: false, code } : { ok: false, code, detail }
