import type { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdOf, type BlobId } from '../../protocol/index.js'
import { blobBytes, type BlobCapacity, type BlobStore } from '../../sync-server/blobs/BlobStore.js'

export const DAY = 86_400_000
/** 2026-12-05, noon: the contract's clock, moved by hand. */
export const T0 = Date.UTC(2026, 11, 5, 12)
export const roomy: BlobCapacity = { spaceQuotaBytes: 1e12, maxTotalBytes: Number.POSITIVE_INFINITY, diskReserveBytes: 0 }

export const newBlobId = (): BlobId => blobIdOf(randomBytes(16))
/** `n` sealed chunks as the server sees them: opaque random bytes, each its own. */
export const sealedChunks = (n: number): Uint8Array[] => Array.from({ length: n }, () => randomBytes(BLOB_CHUNK_BYTES))

/** An upload body as the handler hands it over, one whole chunk at a time; `failAfter`: the connection is cut after that many. */
export async function* body(chunks: readonly Uint8Array[], failAfter?: number): AsyncGenerator<Uint8Array> {
  for (const [i, chunk] of chunks.entries()) {
    if (i === failAfter) throw new Error('connection cut')
    yield chunk
  }
}

/** A read's pieces, each copied before the next is asked for (a store may reuse a piece's memory). */
export async function drain(stream: AsyncIterable<Uint8Array> | undefined): Promise<Buffer | undefined> {
  if (!stream) return undefined
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(Buffer.from(part))
  return Buffer.concat(parts)
}

/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
export const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.from(a).equals(Buffer.from(b))
const joined = (chunks: readonly Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c)))

/**
 * The contract every BlobStore runs (invariants of sync-server/blobs/BlobStore.ts). Personas:
 * alice's conversation and bob's, both in the acme organisation's space; eve's conversation
 * tries ids she has seen.
 */
export function blobStoreContract(name: string, open: () => Promise<{ store: BlobStore; close(): Promise<void> }>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore
    let close: () => Promise<void>
    const alice = randomBytes(16)
    const bob = randomBytes(16)
    const eve = randomBytes(16)
    const acme = randomBytes(16)
    beforeEach(async () => {
      ;({ store, close } = await open())
    })
    afterEach(() => close())

    const created = async (chunks: number, conv = alice, space = acme) => {
      const id = newBlobId()
      expect((await store.create(id, { conv, space, chunks }, roomy, T0)).kind).toBe('created')
      return id
    }
    const read = async (id: BlobId, start: number, end: number) => drain(await store.read(id, start, end))

    test('[B4] invariant 1: a create makes an empty blob; the same create again finds it; another count or another conversation is a conflict that changes nothing', async () => {
      const id = newBlobId()
      const first = await store.create(id, { conv: alice, space: acme, chunks: 4 }, roomy, T0)
      expect(first).toMatchObject({ kind: 'created', blob: { chunks: 4, stored: 0 } })
      expect(await store.create(id, { conv: alice, space: acme, chunks: 4 }, roomy, T0 + DAY)).toMatchObject({ kind: 'exists', blob: { chunks: 4, stored: 0 } })
      expect(await store.create(id, { conv: alice, space: acme, chunks: 5 }, roomy, T0)).toEqual({ kind: 'conflict' })
      expect(await store.create(id, { conv: eve, space: eve, chunks: 4 }, roomy, T0)).toEqual({ kind: 'conflict' })
      const got = await store.get(id)
      expect(got && { conv: Buffer.from(got.conv), space: Buffer.from(got.space), chunks: got.chunks, stored: got.stored })
        .toEqual({ conv: Buffer.from(alice), space: Buffer.from(acme), chunks: 4, stored: 0 })
      expect(await store.get(newBlobId())).toBeUndefined()
    })

    test('[B5] invariant 2: chunks append in order; a retry overlapping the stored prefix stores only the rest; a start beyond stored reads nothing and changes nothing', async () => {
      const id = await created(8)
      const chunks = sealedChunks(8)
      expect(await store.append(id, 0, body(chunks.slice(0, 3)), T0)).toEqual({ kind: 'appended', stored: 3 })
      let asked = 0
      const counting = (async function* () {
        asked++
        yield chunks[0]!
      })()
      expect(await store.append(id, 5, counting, T0)).toEqual({ kind: 'out-of-order', stored: 3 })
      expect(asked).toBe(0)
      // A retry after a lost answer: chunks 1–2 again (with other bytes: they are dropped unread), then 3–5.
      const retry = [randomBytes(BLOB_CHUNK_BYTES), randomBytes(BLOB_CHUNK_BYTES), ...chunks.slice(3, 6)]
      expect(await store.append(id, 1, body(retry), T0)).toEqual({ kind: 'appended', stored: 6 })
      expect(await store.append(id, 6, body(chunks.slice(6)), T0)).toEqual({ kind: 'appended', stored: 8 })
      expect((await store.get(id))?.stored).toBe(8)
      expect(same(await read(id, 0, blobBytes(8)), joined(chunks))).toBe(true)
      expect(await store.append(newBlobId(), 0, body(chunks.slice(0, 1)), T0)).toEqual({ kind: 'missing' })
    })

    test('[B5] invariant 3: input cut after whole chunks keeps exactly those; the upload resumes from there', async () => {
      const id = await created(6)
      const chunks = sealedChunks(6)
      expect(await store.append(id, 0, body(chunks, 2), T0)).toEqual({ kind: 'appended', stored: 2 })
      expect((await store.get(id))?.stored).toBe(2)
      expect(await store.read(id, 0, 10)).toBeUndefined()
      expect(await store.append(id, 2, body(chunks.slice(2)), T0)).toEqual({ kind: 'appended', stored: 6 })
      expect(same(await read(id, 0, blobBytes(6)), joined(chunks))).toBe(true)
    })

    test('[B5] invariant 2: a complete blob never changes: a fully overlapping retry stores nothing; input beyond the last chunk is not read', async () => {
      const id = await created(3)
      const chunks = sealedChunks(3)
      await store.append(id, 0, body(chunks), T0)
      expect(await store.append(id, 1, body(sealedChunks(2)), T0)).toEqual({ kind: 'appended', stored: 3 })
      expect(await store.append(id, 0, body(sealedChunks(5)), T0)).toEqual({ kind: 'appended', stored: 3 })
      expect(same(await read(id, 0, blobBytes(3)), joined(chunks))).toBe(true)
    })

    test('[B7] reads return exact byte ranges, across chunk boundaries, of complete blobs only', async () => {
      const id = await created(5)
      const chunks = sealedChunks(5)
      const all = joined(chunks)
      await store.append(id, 0, body(chunks.slice(0, 4)), T0)
      expect(await store.read(id, 0, 100)).toBeUndefined()
      await store.append(id, 4, body(chunks.slice(4)), T0)
      const C = BLOB_CHUNK_BYTES
      for (const [start, end] of [[0, 1], [0, C], [C - 1, C + 1], [C + 7, 3 * C + 11], [2 * C, 3 * C], [5 * C - 16, 5 * C], [0, 5 * C]] as const) {
        expect(same(await read(id, start, end), all.subarray(start, end)), `${start}-${end}`).toBe(true)
      }
      expect(await store.read(newBlobId(), 0, 1)).toBeUndefined()
    })

    test('[B8] invariant 5: a delete frees its usage at once; the blob is gone for every reader and writer', async () => {
      const keep = await created(2)
      const gone = await created(4)
      await store.append(gone, 0, body(sealedChunks(4)), T0)
      expect(await store.usage(acme)).toEqual({ bytes: blobBytes(6), pending: blobBytes(2) })
      expect(await store.delete(gone)).toBe(true)
      expect(await store.usage(acme)).toEqual({ bytes: blobBytes(2), pending: blobBytes(2) })
      expect(await store.usage()).toEqual({ bytes: blobBytes(2), pending: blobBytes(2) })
      expect(await store.get(gone)).toBeUndefined()
      expect(await store.read(gone, 0, 1)).toBeUndefined()
      expect(await store.append(gone, 0, body(sealedChunks(1)), T0)).toEqual({ kind: 'missing' })
      expect(await store.delete(gone)).toBe(false)
      expect((await store.get(keep))?.chunks).toBe(2)
    })

    test('[B4] invariant 4: usage counts padded chunks of every blob, complete or not; beyond the space quota or the total a create is refused and changes nothing', async () => {
      await created(4, alice, acme)
      await created(2, bob, acme)
      await created(3, eve, eve)
      expect(await store.usage(acme)).toEqual({ bytes: blobBytes(6), pending: blobBytes(6) })
      expect(await store.usage(eve)).toEqual({ bytes: blobBytes(3), pending: blobBytes(3) })
      expect(await store.usage()).toEqual({ bytes: blobBytes(9), pending: blobBytes(9) })
      const quota = { ...roomy, spaceQuotaBytes: blobBytes(8) }
      const late = newBlobId()
      expect(await store.create(late, { conv: alice, space: acme, chunks: 3 }, quota, T0)).toEqual({ kind: 'quota' })
      expect(await store.get(late)).toBeUndefined()
      // eve's space has room under the same quota: quotas are per space.
      expect((await store.create(newBlobId(), { conv: eve, space: eve, chunks: 3 }, quota, T0)).kind).toBe('created')
      expect((await store.create(newBlobId(), { conv: alice, space: acme, chunks: 2 }, quota, T0)).kind).toBe('created')
      const total = { ...roomy, maxTotalBytes: blobBytes(15) }
      expect(await store.create(late, { conv: bob, space: bob, chunks: 2 }, total, T0)).toEqual({ kind: 'full' })
      expect((await store.create(late, { conv: bob, space: bob, chunks: 1 }, total, T0)).kind).toBe('created')
      expect(await store.usage()).toEqual({ bytes: blobBytes(15), pending: blobBytes(15) })
    })

    test('[B9] the sweep deletes incomplete blobs with no write for the given days (clock injected), and nothing else', async () => {
      const complete = await created(2)
      await store.append(complete, 0, body(sealedChunks(2)), T0)
      const abandoned = await created(4)
      await store.append(abandoned, 0, body(sealedChunks(1)), T0)
      const never = await created(2)
      const active = await created(4)
      await store.append(active, 0, body(sealedChunks(1)), T0)
      await store.append(active, 1, body(sealedChunks(1)), T0 + 3 * DAY)
      expect(await store.sweep(T0 + 6 * DAY, 7)).toBe(0)
      expect(await store.sweep(T0 + 7 * DAY, 7)).toBe(2)
      expect(await store.get(abandoned)).toBeUndefined()
      expect(await store.get(never)).toBeUndefined()
      expect((await store.get(active))?.stored).toBe(2)
      expect((await store.get(complete))?.stored).toBe(2)
      expect(await store.sweep(T0 + 100 * DAY, 7)).toBe(1)
      expect((await store.get(complete))?.stored).toBe(2)
      expect(await store.usage()).toEqual({ bytes: blobBytes(2), pending: 0 })
    })

    test('[B5] invariant 6: two appends of one blob at once take turns: each chunk is stored once, in order', async () => {
      const id = await created(6)
      const chunks = sealedChunks(6)
      const results = await Promise.all([store.append(id, 0, body(chunks.slice(0, 4)), T0), store.append(id, 0, body(chunks), T0)])
      expect(results.map((r) => r.kind)).toEqual(['appended', 'appended'])
      expect((await store.get(id))?.stored).toBe(6)
      expect(same(await read(id, 0, blobBytes(6)), joined(chunks))).toBe(true)
    })

    test('[B10] a stored chunk is a copy: changing the caller\'s buffer afterwards changes nothing', async () => {
      const id = await created(1)
      const chunk = randomBytes(BLOB_CHUNK_BYTES)
      const kept = chunk.slice()
      await store.append(id, 0, body([chunk]), T0)
      chunk.fill(0)
      expect(same(await read(id, 0, BLOB_CHUNK_BYTES), kept)).toBe(true)
    })
  })
}
