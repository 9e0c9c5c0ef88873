import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { CryptoMisuse, MAX_PAYLOAD_BYTES, pad, paddedLength, unpad } from '../../crypto/index.js'

const HASH = new Uint8Array(32).fill(0xab)

describe('[E5] padding buckets', () => {
  test('[E5] sizes round up to 256 · 2^k up to 64 KiB, then to a multiple of 64 KiB', () => {
    const cases: [number, number][] = [
      [0, 256], [1, 256], [256, 256], [257, 512], [512, 512], [513, 1024], [4097, 8192],
      [65_535, 65_536], [65_536, 65_536], [65_537, 131_072], [131_072, 131_072], [200_000, 262_144],
    ]
    for (const [length, bucket] of cases) expect(paddedLength(length), `length ${length}`).toBe(bucket)
  })

  test('[E5] a padded plaintext is the bucket of 36 + payload bytes and unpads to the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (payload) => {
        const padded = pad(HASH, payload)
        expect(padded.length).toBe(paddedLength(36 + payload.length))
        const back = unpad(padded)!
        expect(back.headerHash).toEqual(HASH)
        expect(back.payload).toEqual(payload)
      }),
    )
  })

  test('[E5] unpad refuses any non-zero padding byte', () => {
    const padded = pad(HASH, new Uint8Array([1, 2, 3]))
    for (const at of [39, 100, padded.length - 1]) {
      const bad = padded.slice()
      bad[at] = 1
      expect(unpad(bad), `byte ${at}`).toBeUndefined()
    }
  })

  test('[E5] unpad refuses a length field past the end and a plaintext shorter than its fixed part', () => {
    const padded = pad(HASH, new Uint8Array(10))
    const long = padded.slice()
    new DataView(long.buffer).setUint32(32, padded.length - 35, false)
    expect(unpad(long)).toBeUndefined()
    expect(unpad(new Uint8Array(35))).toBeUndefined()
    const exact = padded.slice()
    new DataView(exact.buffer).setUint32(32, padded.length - 36, false)
    expect(unpad(exact)?.payload.length).toBe(padded.length - 36)
  })

  test('[E5] [C0] a payload above 16 MiB is programmer error', () => {
    expect(() => pad(HASH, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow(CryptoMisuse)
  })
})
