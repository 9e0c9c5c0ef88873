import { CryptoMisuse } from '../errors.js'

/**
 * [E5] Plaintext = headerHash(32) ‖ u32 payloadLength ‖ payload ‖ zero padding. The total is
 * padded to a bucket (256 · 2^k up to 64 KiB, then a multiple of 64 KiB) so the server learns
 * only a coarse size.
 */
export function paddedLength(length: number): number {
  if (length <= 65536) {
    let bucket = 256
    while (bucket < length) bucket *= 2
    return bucket
  }
  return Math.ceil(length / 65536) * 65536
}

export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024

export function pad(headerHash: Uint8Array, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new CryptoMisuse('payload too large')
  const out = new Uint8Array(paddedLength(36 + payload.length))
  out.set(headerHash, 0)
  new DataView(out.buffer).setUint32(32, payload.length, false)
  out.set(payload, 36)
  return out
}

/** Returns undefined unless the length is in range and every padding byte is zero. */
export function unpad(plaintext: Uint8Array): { headerHash: Uint8Array; payload: Uint8Array } | undefined {
  if (plaintext.length < 36) return undefined
  const length = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength).getUint32(32, false)
  if (36 + length > plaintext.length) return undefined
  for (let i = 36 + length; i < plaintext.length; i++) if (plaintext[i] !== 0) return undefined
  return { headerHash: plaintext.subarray(0, 32), payload: plaintext.subarray(36, 36 + length) }
}
