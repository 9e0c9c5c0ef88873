import { FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'

/**
 * [A2] Sealed chunks of files waiting to be uploaded, kept where large data belongs: files in
 * the CLI's home (client/node/fileSpool.ts), the Origin Private File System in the browser
 * (client/web/opfsSpool.ts), memory in tests. Holds only ciphertext (crypto [F1]); the keys are
 * in the upload's record in the (encrypted) local store. A spool entry with no upload record is
 * an encryption cut short and is removed at start.
 */
export interface Spool {
  /** Writes sealed chunk `index` of entry `id` (each exactly one sealed chunk long). */
  write(id: string, index: number, sealed: Uint8Array): Promise<void>
  /** Makes what was written durable (before the upload's record says it is whole). */
  flush(id: string): Promise<void>
  /** `count` sealed chunks from `index`, concatenated. */
  read(id: string, index: number, count: number): Promise<Uint8Array>
  remove(id: string): Promise<void>
  list(): Promise<string[]>
}

export function memorySpool(): Spool & { bytesHeld(): number } {
  const entries = new Map<string, Map<number, Uint8Array>>()
  return {
    async write(id, index, sealed) {
      if (sealed.length !== FILE_SEALED_CHUNK_BYTES) throw new Error('a spool holds whole sealed chunks')
      let e = entries.get(id)
      if (!e) entries.set(id, (e = new Map()))
      e.set(index, Uint8Array.from(sealed))
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
