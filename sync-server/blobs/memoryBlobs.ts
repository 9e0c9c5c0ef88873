import { Readable } from 'node:stream'
import { bytesEqual } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES } from '../../protocol/index.js'
import { blobBytes, blobDay, capacityRefusal, nextChunk, type BlobStore, type BlobUsage } from './BlobStore.js'
import { KeyedMutex } from './mutex.js'

interface Entry {
  readonly conv: Uint8Array
  readonly space: Uint8Array
  readonly chunks: number
  readonly data: Uint8Array[]
  day: number
}

/** Blobs in memory, for tests and the in-memory server; the invariants of BlobStore.ts. */
export function openMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Entry>()
  const turns = new KeyedMutex()
  const usage = (space?: Uint8Array): BlobUsage => {
    let chunks = 0
    let stored = 0
    for (const b of blobs.values()) {
      if (space && !bytesEqual(b.space, space)) continue
      chunks += b.chunks
      stored += b.data.length
    }
    return { bytes: blobBytes(chunks), pending: blobBytes(chunks - stored) }
  }
  const record = (b: Entry) => ({ conv: b.conv, space: b.space, chunks: b.chunks, stored: b.data.length })

  return {
    async create(id, blob, capacity, now) {
      const found = blobs.get(id)
      // Invariant 1: an id names one blob of one conversation and count.
      if (found) return bytesEqual(found.conv, blob.conv) && found.chunks === blob.chunks ? { kind: 'exists', blob: record(found) } : { kind: 'conflict' }
      const refusal = capacityRefusal(blob.chunks, usage(blob.space), usage(), undefined, capacity)
      if (refusal) return { kind: refusal }
      const entry: Entry = { conv: blob.conv.slice(), space: blob.space.slice(), chunks: blob.chunks, data: [], day: blobDay(now) }
      blobs.set(id, entry)
      return { kind: 'created', blob: record(entry) }
    },
    async get(id) {
      const b = blobs.get(id)
      return b && record(b)
    },
    append(id, start, chunks, now) {
      return turns.run(id, async () => {
        const b = blobs.get(id)
        if (!b) return { kind: 'missing' }
        // Invariant 2: only from the stored prefix on.
        if (start > b.data.length) return { kind: 'out-of-order', stored: b.data.length }
        const input = chunks[Symbol.asyncIterator]()
        for (let index = start; index < b.chunks; index++) {
          const chunk = await nextChunk(input)
          if (!chunk) break
          if (index === b.data.length) b.data.push(chunk.slice())
        }
        await input.return?.()
        b.day = blobDay(now)
        return { kind: 'appended', stored: b.data.length }
      })
    },
    async read(id, start, end) {
      const b = blobs.get(id)
      if (!b || b.data.length < b.chunks) return undefined
      const data = b.data
      return Readable.from((function* () {
        for (let i = Math.floor(start / BLOB_CHUNK_BYTES); i * BLOB_CHUNK_BYTES < end; i++) {
          const at = i * BLOB_CHUNK_BYTES
          yield Buffer.from(data[i]!.subarray(Math.max(0, start - at), Math.min(BLOB_CHUNK_BYTES, end - at)))
        }
      })(), { objectMode: false })
    },
    delete(id) {
      return turns.run(id, async () => blobs.delete(id))
    },
    async usage(space) {
      return usage(space)
    },
    async sweep(now, incompleteDays) {
      let gone = 0
      for (const [id, b] of blobs) {
        if (b.data.length < b.chunks && b.day <= blobDay(now) - incompleteDays && !turns.busy(id)) {
          blobs.delete(id)
          gone++
        }
      }
      return gone
    },
    async close() {},
  }
}
