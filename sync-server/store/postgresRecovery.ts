import { bytesEqual } from '../../crypto/verify.js'
import { fitsCapacity, type RecoveryBlobStore, type RecoveryUsage } from './RecoveryBlobStore.js'
import { transaction, type Client, type Pool } from './postgresPool.js'

/**
 * [S15][S20] Recovery blobs in the PostgreSQL store: `recovery_blobs (addr, write_hash, data)`
 * and nothing else (RecoveryBlobStore invariant 5), as in sqliteRecovery.ts. Several instances
 * write here, so no instance can keep the usage totals in memory as the SQLite store does: a
 * write takes an advisory lock (writes of blobs take turns; they are rare) and counts the table
 * inside its transaction, so the capacity check and the write cannot interleave with another's
 * (invariants 2–4). The count reads only the rows' headers (octet_length of a stored value is
 * kept with its TOAST pointer): 10,000 blobs, a few milliseconds.
 */
const USAGE = 'SELECT count(*) AS blobs, coalesce(sum(octet_length(data)), 0)::bigint AS bytes FROM recovery_blobs'

export function postgresRecovery(pool: Pool): RecoveryBlobStore {
  const locked = async (c: Client): Promise<RecoveryUsage> => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('fieldchat:recovery:' || current_schema()))")
    return (await c.query<{ blobs: number; bytes: number }>(USAGE)).rows[0]!
  }
  const head = async (c: Client, addr: Uint8Array) =>
    (await c.query<{ write_hash: Buffer; size: number }>('SELECT write_hash, octet_length(data) AS size FROM recovery_blobs WHERE addr = $1', [addr])).rows[0]

  return {
    async get(addr) {
      return (await pool.query<{ data: Buffer }>('SELECT data FROM recovery_blobs WHERE addr = $1', [addr])).rows[0]?.data
    },
    put(addr, writeHash, data, capacity, replaceOnly = false) {
      return transaction(pool, async (c) => {
        const usage = await locked(c)
        const found = await head(c, addr)
        // Invariant 6: a refresh never brings a deleted blob back.
        if (!found && replaceOnly) return 'missing'
        if (found && !bytesEqual(found.write_hash, writeHash)) return 'wrong-write-secret'
        if (!fitsCapacity(usage, found?.size, data.length, capacity)) return 'full'
        // Invariant 1: an update keeps the write hash bound at the first put.
        await c.query('INSERT INTO recovery_blobs (addr, write_hash, data) VALUES ($1, $2, $3) ON CONFLICT (addr) DO UPDATE SET data = excluded.data', [addr, writeHash, data])
        return found ? 'replaced' : 'created'
      })
    },
    delete(addr, writeHash) {
      return transaction(pool, async (c) => {
        await locked(c)
        const found = await head(c, addr)
        if (!found) return 'missing'
        if (!bytesEqual(found.write_hash, writeHash)) return 'wrong-write-secret'
        await c.query('DELETE FROM recovery_blobs WHERE addr = $1', [addr])
        return 'deleted'
      })
    },
    async usage() {
      return (await pool.query<{ blobs: number; bytes: number }>(USAGE)).rows[0]!
    },
  }
}
