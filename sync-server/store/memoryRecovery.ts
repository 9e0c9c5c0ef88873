import { bytesEqual, toHex } from '../../crypto/verify.js'
import { fitsCapacity, type RecoveryBlobStore, type WriteHash } from './RecoveryBlobStore.js'

/** In-memory recovery blobs for tests and the in-memory server; same invariants as sqliteRecovery.ts. */
export function openMemoryRecoveryStore(): RecoveryBlobStore {
  const blobs = new Map<string, { hash: WriteHash; data: Uint8Array }>()
  let bytes = 0

  return {
    async get(addr) {
      const entry = blobs.get(toHex(addr))
      return entry && entry.data.slice()
    },
    async put(addr, writeHash, data, capacity, replaceOnly) {
      const key = toHex(addr)
      const entry = blobs.get(key)
      // Invariant 6: a refresh never brings a deleted blob back.
      if (!entry && replaceOnly) return 'missing'
      // Invariant 2: a different write secret changes nothing.
      if (entry && !bytesEqual(entry.hash, writeHash)) return 'wrong-write-secret'
      if (!fitsCapacity({ blobs: blobs.size, bytes }, entry?.data.length, data.length, capacity)) return 'full'
      bytes += data.length - (entry?.data.length ?? 0)
      // Invariant 1: the hash bound by the first put stays. Invariant 3: one assignment replaces the whole blob.
      blobs.set(key, { hash: entry?.hash ?? (writeHash.slice() as WriteHash), data: data.slice() })
      return entry ? 'replaced' : 'created'
    },
    async delete(addr, writeHash) {
      const key = toHex(addr)
      const entry = blobs.get(key)
      if (!entry) return 'missing'
      if (!bytesEqual(entry.hash, writeHash)) return 'wrong-write-secret'
      blobs.delete(key)
      bytes -= entry.data.length
      return 'deleted'
    },
    async usage() {
      return { blobs: blobs.size, bytes }
    },
  }
}
