import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, fileChunkCount } from '../../crypto/index.js'
import {
  BLOB_CHUNK_BYTES, BLOB_MAX_CHUNKS, BlobErrorCode, blobErrorStatus, blobErrorText, blobIdBytes, blobIdOf, blobPaths, encodeBlobAuth, encodeBlobSpaceAuth,
  paddedChunkCount, parseBlobAuth, parseBlobError, parseBlobId, parseBlobSpaceAuth, parseBlobStatus,
} from '../../protocol/index.js'

/** The wire contract of protocol/blobs.ts (protocol/SPEC.md "Blobs"): pure functions, both sides parse with them. */
describe('[B1] blobs, chunks and ids', () => {
  test('[B1] a blob chunk is exactly one sealed file chunk of crypto (64 KiB + 16-byte tag)', () => {
    expect(BLOB_CHUNK_BYTES).toBe(FILE_SEALED_CHUNK_BYTES)
    expect(BLOB_CHUNK_BYTES).toBe(65_552)
  })

  test('[B1] BLOB_MAX_CHUNKS is itself padded and holds a 2 GiB file, padded', () => {
    expect(paddedChunkCount(BLOB_MAX_CHUNKS)).toBe(BLOB_MAX_CHUNKS)
    expect(paddedChunkCount(fileChunkCount(2 * 1024 ** 3))).toBeLessThanOrEqual(BLOB_MAX_CHUNKS)
    expect(paddedChunkCount(fileChunkCount(2 * 1024 ** 3 + 1))).toBe(34_816)
    expect(FILE_CHUNK_BYTES * 32_768).toBe(2 * 1024 ** 3)
  })

  test('[B1] a blob id is 16 bytes as 22 canonical base64url characters and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = blobIdOf(bytes)
        expect(id).toHaveLength(22)
        expect(parseBlobId(id)).toBe(id)
        expect(blobIdBytes(id)).toEqual(bytes)
      }),
    )
  })

  test('[B1] other lengths, padding, other alphabets, non-canonical spellings and non-strings are refused; misuse throws', () => {
    const id = blobIdOf(new Uint8Array(16).fill(0xff)) // ends in 'w': its 4 spare bits are zero
    expect(id.endsWith('w')).toBe(true)
    for (const bad of [id.slice(1), `${id}A`, `${id}==`, `${id.slice(0, -1)}x`, id.replace(/.$/, '+'), id.replace(/^./, '/'), 42, undefined, null, {}]) {
      expect(parseBlobId(bad), String(bad)).toBeUndefined()
    }
    expect(() => blobIdOf(new Uint8Array(15))).toThrow(TypeError)
    expect(() => blobIdBytes('nope' as never)).toThrow(TypeError)
  })
})

describe('[B2] sizes are padded to buckets (Padmé over whole chunks)', () => {
  test('[B2] vectors', () => {
    const vectors: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [7, 7], [8, 8], [9, 10], [11, 12], [17, 18], [33, 36], [46, 48], [100, 104], [1000, 1024], [32_768, 32_768], [32_769, 34_816], [40_000, 40_960]]
    for (const [n, padded] of vectors) expect(paddedChunkCount(n), String(n)).toBe(padded)
  })

  test('[B2] the padded count is at least n, padded itself, never smaller for a larger n, and within 1/2^S of n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 1 << 30 }), fc.integer({ min: 0, max: 1000 }), (n, more) => {
        const p = paddedChunkCount(n)
        expect(p).toBeGreaterThanOrEqual(n)
        expect(paddedChunkCount(p)).toBe(p)
        expect(paddedChunkCount(n + more)).toBeGreaterThanOrEqual(p)
        const e = Math.floor(Math.log2(n))
        const s = Math.floor(Math.log2(e)) + 1
        expect(p - n).toBeLessThan(n / 2 ** s)
      }),
    )
  })

  test('[B2] a count that is not a non-negative safe integer is misuse', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => paddedChunkCount(bad)).toThrow(RangeError)
  })
})

describe('[B3] the authorization headers', () => {
  const conv = new Uint8Array(16).fill(7)
  const proof = new Uint8Array(64).fill(9)
  const auth = { conv, epoch: 3, time: 1_765_000_000_000, proof }

  test('[B3] FCBlob conv=…,epoch=…,time=…,proof=… round-trips; the space header likewise', () => {
    const text = encodeBlobAuth(auth)
    expect(text).toMatch(/^FCBlob conv=[A-Za-z0-9_-]{22},epoch=3,time=1765000000000,proof=[A-Za-z0-9_-]{86}$/)
    expect(parseBlobAuth(text)).toEqual(auth)
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (c, epoch, time, p) => {
        expect(parseBlobAuth(encodeBlobAuth({ conv: c, epoch, time, proof: p }))).toEqual({ conv: c, epoch, time, proof: p })
        expect(parseBlobSpaceAuth(encodeBlobSpaceAuth({ space: c, epoch, proof: p }))).toEqual({ space: c, epoch, proof: p })
      }),
    )
  })

  test('[B3] strict: another order, an extra or missing field, spaces, leading zeros, an epoch beyond u32, non-canonical base64url, wrong lengths and non-strings are refused', () => {
    const good = encodeBlobAuth(auth)
    const [, c, e, t, p] = /^FCBlob conv=(.*),epoch=(.*),time=(.*),proof=(.*)$/.exec(good)!
    const bad = [
      `FCBlob epoch=${e},conv=${c},time=${t},proof=${p}`,
      `${good},x=1`,
      `FCBlob conv=${c},epoch=${e},proof=${p}`,
      `fcblob conv=${c},epoch=${e},time=${t},proof=${p}`,
      `FCBlob  conv=${c},epoch=${e},time=${t},proof=${p}`,
      `FCBlob conv=${c}, epoch=${e},time=${t},proof=${p}`,
      `FCBlob conv=${c},epoch=03,time=${t},proof=${p}`,
      `FCBlob conv=${c},epoch=4294967296,time=${t},proof=${p}`,
      `FCBlob conv=${c},epoch=${e},time=99999999999999999,proof=${p}`,
      `FCBlob conv=${c},epoch=${e},time=${t},proof=${p!.slice(0, -1)}B`,
      `FCBlob conv=${c},epoch=${e},time=${t},proof=${p!.slice(0, -2)}`,
      `FCBlob conv=${c}==,epoch=${e},time=${t},proof=${p}`,
      `Bearer ${good}`,
      undefined,
      ['a', 'b'],
    ]
    for (const v of bad) expect(parseBlobAuth(v), String(v)).toBeUndefined()
    const space = encodeBlobSpaceAuth({ space: conv, epoch: 1, proof })
    expect(parseBlobSpaceAuth(space)).toEqual({ space: conv, epoch: 1, proof })
    for (const v of [`${space},x=1`, space.replace('epoch=1', 'epoch=01'), `space=${c},proof=${p}`, `${space}, ${space}`]) expect(parseBlobSpaceAuth(v), v).toBeUndefined()
    expect(() => encodeBlobAuth({ ...auth, proof: new Uint8Array(63) })).toThrow(TypeError)
    expect(() => encodeBlobAuth({ ...auth, epoch: -1 })).toThrow(TypeError)
    expect(() => encodeBlobAuth({ ...auth, time: 1.5 })).toThrow(TypeError)
  })

  test('[B3] the request targets are the paths the server answers, one spelling each', () => {
    const id = blobIdOf(new Uint8Array(16).fill(1))
    expect(blobPaths.create(id, 48)).toBe(`/v1/blobs/${id}?chunks=48`)
    expect(blobPaths.status(id)).toBe(`/v1/blobs/${id}`)
    expect(blobPaths.put(id, 16)).toBe(`/v1/blobs/${id}/chunks/16`)
    expect(blobPaths.data(id)).toBe(`/v1/blobs/${id}/data`)
    expect(blobPaths.remove(id)).toBe(`/v1/blobs/${id}`)
  })
})

describe('[B6] answers are parsed strictly', () => {
  test('[B6] a status is { chunks, stored, complete }, consistent, nothing more', () => {
    expect(parseBlobStatus({ chunks: 48, stored: 16, complete: false })).toEqual({ chunks: 48, stored: 16, complete: false })
    expect(parseBlobStatus({ chunks: 48, stored: 48, complete: true })).toEqual({ chunks: 48, stored: 48, complete: true })
    for (const bad of [
      { chunks: 48, stored: 48, complete: false }, { chunks: 48, stored: 16, complete: true }, { chunks: 48, stored: 49, complete: false },
      { chunks: 0, stored: 0, complete: true }, { chunks: BLOB_MAX_CHUNKS + 1, stored: 0, complete: false }, { chunks: 4, stored: 1, complete: false, extra: 1 },
      { chunks: '4', stored: 1, complete: false }, null, 'x',
    ]) expect(parseBlobStatus(bad), JSON.stringify(bad)).toBeUndefined()
  })

  test('[B12] every code is answered with the HTTP status in its number and has a local and a remote text', () => {
    const codes = Object.values(BlobErrorCode)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) {
      expect(code).toMatch(/^B[1-5][0-9]{2}_[A-Z_]+$/)
      expect(blobErrorStatus(code)).toBe(Number(code.slice(1, 4)))
      expect(blobErrorText[code].local.length).toBeGreaterThan(10)
      expect(blobErrorText[code].remote.length).toBeGreaterThan(10)
    }
    expect(Object.keys(blobErrorText).sort()).toEqual([...codes].sort())
  })

  test('[B12] an error body is { code, message, serverTime?, stored? } with a known code; anything else is not ours', () => {
    expect(parseBlobError({ code: 'B401_CLOCK', message: 'm', serverTime: 5 })).toEqual({ code: 'B401_CLOCK', message: 'm', serverTime: 5 })
    expect(parseBlobError({ code: 'B409_OUT_OF_ORDER', message: 'm', stored: 3 })).toEqual({ code: 'B409_OUT_OF_ORDER', message: 'm', stored: 3 })
    for (const bad of [{ code: 'B999_NEW', message: 'm' }, { code: 'B404_NOT_FOUND' }, { code: 'B404_NOT_FOUND', message: 'm', other: 1 }, { error: { code: 'R404_NOT_FOUND', message: 'm' } }, '<html>', undefined]) {
      expect(parseBlobError(bad), JSON.stringify(bad)).toBeUndefined()
    }
  })
})
