import { CryptoMisuse } from '../errors.js'
import { CERT_BYTES } from './header.js'

/**
 * [E5] Plaintext = headerHash(32) ‖ certificate(96, [E13]) ‖ u32 payloadLength ‖ payload ‖ zero
 * padding. The total is padded to a bucket (4 KiB · 2^k up to 64 KiB, then a multiple of 64 KiB)
 * so the server learns only a coarse size: a message of a few thousand characters and a short
 * one share the smallest bucket.
 */
export const MIN_BUCKET = 4096
const PREFIX = 32 + CERT_BYTES
const FIXED = PREFIX + 4

export function paddedLength(length: number): number {
  if (length <= 65536) {
    let bucket = MIN_BUCKET
    while (bucket < length) bucket *= 2
    return bucket
  }
  return Math.ceil(length / 65536) * 65536
}

export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024

export function pad(headerHash: Uint8Array, cert: Uint8Array, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new CryptoMisuse('payload too large')
  if (headerHash.length !== 32 || cert.length !== CERT_BYTES) throw new CryptoMisuse('header hash and certificate must be 32 and 96 bytes')
  const out = new Uint8Array(paddedLength(FIXED + payload.length))
  out.set(headerHash, 0)
  out.set(cert, 32)
  new DataView(out.buffer).setUint32(PREFIX, payload.length, false)
  out.set(payload, FIXED)
  return out
}

/** Returns undefined unless the length is in range and every padding byte is zero. */
export function unpad(plaintext: Uint8Array): { headerHash: Uint8Array; cert: Uint8Array; payload: Uint8Array } | undefined {
  if (plaintext.length < FIXED) return undefined
  const length = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength).getUint32(PREFIX, false)
  if (FIXED + length > plaintext.length) return undefined
  for (let i = FIXED + length; i < plaintext.length; i++) if (plaintext[i] !== 0) return undefined
  return { headerHash: plaintext.subarray(0, 32), cert: plaintext.subarray(32, PREFIX), payload: plaintext.subarray(FIXED, FIXED + length) }
}
