import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { CERT_BYTES, CryptoMisuse, MAX_PAYLOAD_BYTES, MIN_BUCKET, MIN_CIPHERTEXT_BYTES, pad, paddedLength, unpad } from '../../crypto/index.js'

const HASH = new Uint8Array(32).fill(0xab)
const CERT = Uint8Array.from({ length: CERT_BYTES }, (_, i) => i + 1)
/** headerHash(32) ‖ certificate(96) ‖ u32 payload length ([E5], [E13]). */
const FIXED = 32 + CERT_BYTES + 4

describe('[E5] padding buckets', () => {
  test('[E5] sizes round up to 4 KiB · 2^k up to 64 KiB, then to a multiple of 64 KiB', () => {
    expect(MIN_BUCKET).toBe(4096)
    const cases: [number, number][] = [
      [0, 4096], [1, 4096], [256, 4096], [257, 4096], [3132, 4096], [4096, 4096], [4097, 8192], [8192, 8192], [8193, 16_384],
      [32_769, 65_536], [65_535, 65_536], [65_536, 65_536], [65_537, 131_072], [131_072, 131_072], [200_000, 262_144],
    ]
    for (const [length, bucket] of cases) expect(paddedLength(length), `length ${length}`).toBe(bucket)
  })

  test('[E5] the smallest ciphertext is one 4 KiB bucket plus the Poly1305 tag', () => {
    expect(MIN_CIPHERTEXT_BYTES).toBe(MIN_BUCKET + 16)
  })

  test('[E5] [E13] a padded plaintext is the bucket of 132 + payload bytes and unpads to the header hash, certificate and payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (payload) => {
        const padded = pad(HASH, CERT, payload)
        expect(padded.length).toBe(paddedLength(FIXED + payload.length))
        expect(padded.subarray(32, 32 + CERT_BYTES)).toEqual(CERT)
        const back = unpad(padded)!
        expect(back.headerHash).toEqual(HASH)
        expect(back.cert).toEqual(CERT)
        expect(back.payload).toEqual(payload)
      }),
    )
  })

  test('[E5] up to 4096 − 132 payload bytes share the smallest bucket', () => {
    expect(pad(HASH, CERT, new Uint8Array(0)).length).toBe(4096)
    expect(pad(HASH, CERT, new Uint8Array(4096 - FIXED)).length).toBe(4096)
    expect(pad(HASH, CERT, new Uint8Array(4096 - FIXED + 1)).length).toBe(8192)
  })

  test('[E5] unpad refuses any non-zero padding byte', () => {
    const padded = pad(HASH, CERT, new Uint8Array([1, 2, 3]))
    for (const at of [FIXED + 3, 1000, padded.length - 1]) {
      const bad = padded.slice()
      bad[at] = 1
      expect(unpad(bad), `byte ${at}`).toBeUndefined()
    }
  })

  test('[E5] unpad refuses a length field past the end and a plaintext shorter than its fixed part', () => {
    const padded = pad(HASH, CERT, new Uint8Array(10))
    const long = padded.slice()
    new DataView(long.buffer).setUint32(32 + CERT_BYTES, padded.length - FIXED + 1, false)
    expect(unpad(long)).toBeUndefined()
    expect(unpad(new Uint8Array(FIXED - 1))).toBeUndefined()
    const exact = padded.slice()
    new DataView(exact.buffer).setUint32(32 + CERT_BYTES, padded.length - FIXED, false)
    expect(unpad(exact)?.payload.length).toBe(padded.length - FIXED)
  })

  test('[E5] [C0] a payload above 16 MiB is programmer error', () => {
    expect(() => pad(HASH, CERT, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow(CryptoMisuse)
  })

  test('[E5] [E13] [C0] a header hash or certificate of the wrong length is programmer error', () => {
    expect(() => pad(HASH.subarray(1), CERT, new Uint8Array(1))).toThrow(CryptoMisuse)
    expect(() => pad(HASH, CERT.subarray(1), new Uint8Array(1))).toThrow(CryptoMisuse)
    expect(() => pad(HASH, new Uint8Array([...CERT, 0]), new Uint8Array(1))).toThrow(CryptoMisuse)
  })
})
