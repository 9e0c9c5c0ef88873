import { FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'

/**
 * [A2] Sealed chunks of files waiting to be uploaded, kept where large data belongs: files in
 * the CLI's home (client/node/fileSpool.ts), the Origin Private File System in the browser
 * (client/web/opfsSpool.ts), memory in tests. Holds only ciphertext (crypto [F1]); the keys are
 * in the upload's record in the (encrypted) local store. A spool entry with no upload record is
 * an encryption cut short and is removed at start.
 */
export interface Spool {
  /**
   * Writes sealed chunks `index`, `index` + 1, … of entry `id` (`sealed` holds one or more whole
   * sealed chunks). The spool may still read `sealed` until its next call returns (a write goes on
   * in the background): the caller changes those bytes only after that.
   */
  write(id: string, index: number, sealed: Uint8Array): Promise<void>
  /** Makes what was written durable (before the upload's record says it is whole). */
  flush(id: string): Promise<void>
  /**
   * `count` sealed chunks from `index`, concatenated. With `into` (at least that long) a spool
   * may read into it and return a view of it; the result is what counts either way.
   */
  read(id: string, index: number, count: number, into?: Uint8Array): Promise<Uint8Array>
  remove(id: string): Promise<void>
  list(): Promise<string[]>
}

export function memorySpool(): Spool & { bytesHeld(): number } {
  const entries = new Map<string, Map<number, Uint8Array>>()
  return {
    async write(id, index, sealed) {
      const count = wholeChunks(sealed)
      let e = entries.get(id)
      if (!e) entries.set(id, (e = new Map()))
      for (let i = 0; i < count; i++) e.set(index + i, sealed.slice(i * FILE_SEALED_CHUNK_BYTES, (i + 1) * FILE_SEALED_CHUNK_BYTES))
    },
    async flush() {},
    async read(id, index, count) {
      const e = entries.get(id)
      const out = new Uint8Array(count * FILE_SEALED_CHUNK_BYTES)
      for (let i = 0; i < count; i++) {
        const c = e?.get(index + i)
        if (!c) throw new Error(`spool ${id} lacks chunk ${index + i}`)
        out.set(c, i * FILE_SEALED_CHUNK_BYTES)
      }
      return out
    },
    async remove(id) {
      entries.delete(id)
    },
    async list() {
      return [...entries.keys()]
    },
    bytesHeld: () => [...entries.values()].reduce((n, e) => n + e.size * FILE_SEALED_CHUNK_BYTES, 0),
  }
}

/** How many whole sealed chunks `sealed` holds (one at least); throws otherwise. */
export function wholeChunks(sealed: Uint8Array): number {
  const count = sealed.length / FILE_SEALED_CHUNK_BYTES
  if (!Number.isInteger(count) || count < 1) throw new Error('a spool holds whole sealed chunks')
  return count
}
