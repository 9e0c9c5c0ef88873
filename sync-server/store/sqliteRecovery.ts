import type { Database } from 'better-sqlite3'
import { bytesEqual } from '../../crypto/verify.js'
import { fitsCapacity, type DeleteOutcome, type PutOutcome, type RecoveryAddr, type RecoveryBlobStore, type RecoveryCapacity, type RecoveryUsage, type WriteHash } from './RecoveryBlobStore.js'

/**
 * [S15] Recovery blobs in the server's SQLite file (store format 5, [S13]). Three columns and
 * nothing else (RecoveryBlobStore invariant 5): the address, the SHA-256 of the write secret and
 * the padded blob. WITHOUT ROWID keyed by the address, so rows are ordered by a hash, not by when
 * they arrived.
 */
export const RECOVERY_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS recovery_blobs (addr BLOB PRIMARY KEY, write_hash BLOB NOT NULL, data BLOB NOT NULL) WITHOUT ROWID'

export function sqliteRecovery(db: Database): RecoveryBlobStore {
  db.exec(RECOVERY_TABLE_SQL)
  const q = {
    get: db.prepare<[Uint8Array], { data: Uint8Array }>('SELECT data FROM recovery_blobs WHERE addr = ?'),
    // length() of a blob is read from the record header, not from its overflow pages.
    head: db.prepare<[Uint8Array], { write_hash: Uint8Array; size: number }>('SELECT write_hash, length(data) AS size FROM recovery_blobs WHERE addr = ?'),
    // Invariant 1: an update keeps the write hash bound at the first put.
    upsert: db.prepare('INSERT INTO recovery_blobs (addr, write_hash, data) VALUES (?, ?, ?) ON CONFLICT (addr) DO UPDATE SET data = excluded.data'),
    delete: db.prepare('DELETE FROM recovery_blobs WHERE addr = ?'),
    usage: db.prepare<[], { blobs: number; bytes: number }>('SELECT count(*) AS blobs, coalesce(sum(length(data)), 0) AS bytes FROM recovery_blobs'),
  }
  // One process writes this file: the totals are read once and kept in step after each commit.
  let usage: RecoveryUsage = q.usage.get()!

  // Invariants 2–4: the check and the write in one transaction; better-sqlite3 commits before returning.
  const put = db.transaction((addr: RecoveryAddr, hash: WriteHash, data: Uint8Array, capacity: RecoveryCapacity, replaceOnly: boolean): [PutOutcome, RecoveryUsage] => {
    const head = q.head.get(addr)
    // Invariant 6: a refresh never brings a deleted blob back.
    if (!head && replaceOnly) return ['missing', usage]
    if (head && !bytesEqual(head.write_hash, hash)) return ['wrong-write-secret', usage]
    if (!fitsCapacity(usage, head?.size, data.length, capacity)) return ['full', usage]
    q.upsert.run(addr, hash, data)
    return [head ? 'replaced' : 'created', { blobs: usage.blobs + (head ? 0 : 1), bytes: usage.bytes - (head?.size ?? 0) + data.length }]
  })
  const remove = db.transaction((addr: RecoveryAddr, hash: WriteHash): [DeleteOutcome, RecoveryUsage] => {
    const head = q.head.get(addr)
    if (!head) return ['missing', usage]
    if (!bytesEqual(head.write_hash, hash)) return ['wrong-write-secret', usage]
    q.delete.run(addr)
    return ['deleted', { blobs: usage.blobs - 1, bytes: usage.bytes - head.size }]
  })
  // secure_delete zeroes the old blob's pages, but in WAL mode their old images stay in the -wal
  // until a checkpoint: a replaced or retired blob leaves both files at once ([S18]).
  const forgetOld = () => db.pragma('wal_checkpoint(TRUNCATE)')

  return {
    async get(addr) {
      return q.get.get(addr)?.data
    },
    async put(addr, writeHash, data, capacity, replaceOnly = false) {
      const [outcome, after] = put(addr, writeHash, data, capacity, replaceOnly)
      usage = after
      if (outcome === 'replaced') forgetOld()
      return outcome
    },
    async delete(addr, writeHash) {
      const [outcome, after] = remove(addr, writeHash)
      usage = after
      if (outcome === 'deleted') forgetOld()
      return outcome
    },
    async usage() {
      return usage
    },
  }
}
