import { createHash } from 'node:crypto'
import { asRecoveryAddr, asWriteHash, type RecoveryAddr, type WriteHash } from '../store/RecoveryBlobStore.js'

/** Every path the recovery endpoints answer, valid or not: `/recovery` and everything below it. */
export const isRecoveryPath = (url: string | undefined): boolean =>
  url !== undefined && (url === '/recovery' || url.startsWith('/recovery/') || url.startsWith('/recovery?'))

const ADDRESS_PATH = /^\/recovery\/([0-9a-f]{64})$/
const HEX64 = /^[0-9a-f]{64}$/

/**
 * [S14] Inbound requests are untrusted peer input. The raw request target must be exactly
 * `/recovery/` and 64 lowercase hex characters: no query, no percent-encoding, no dot segments,
 * one spelling per address.
 */
export function parseAddressPath(url: string | undefined): RecoveryAddr | undefined {
  const hex = url === undefined ? undefined : ADDRESS_PATH.exec(url)?.[1]
  return hex === undefined ? undefined : asRecoveryAddr(Buffer.from(hex, 'hex'))
}

/**
 * [S15] The `x-fieldchat-write` header: 64 lowercase hex characters (a repeated header arrives
 * joined and fails), hashed at once. Only the SHA-256 goes further; the secret is never stored or
 * logged.
 */
export function writeHashOf(header: string | string[] | undefined): WriteHash | undefined {
  if (typeof header !== 'string' || !HEX64.test(header)) return undefined
  return asWriteHash(new Uint8Array(createHash('sha256').update(Buffer.from(header, 'hex')).digest()))
}
