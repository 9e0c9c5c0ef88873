import { Readable } from 'node:stream'
import { bytesEqual } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdBytes } from '../../protocol/index.js'
import { openPool, transaction, type Client, type Pool } from '../store/postgresPool.js'
import { blobBytes, blobDay, capacityRefusal, nextChunk, type AppendOutcome, type BlobStore, type BlobUsage } from './BlobStore.js'
import { KeyedMutex } from './mutex.js'

/**
 * [B10][S20] Blobs in the PostgreSQL store's database and schema: `blobs` (the metadata of
 * BlobStore invariant 7) and `blob_chunks` (one row per sealed chunk, bytea stored out of line
 * without compression: sealed bytes do not compress). Made on open if missing, beside the
 * store's tables (instances starting together take turns on an advisory lock). Deleting a blob
 * deletes its chunk rows in the same transaction (ON DELETE CASCADE): crash-safe by itself.
 */
const TABLES = `
  CREATE TABLE IF NOT EXISTS blobs (id bytea PRIMARY KEY, conv bytea NOT NULL, space bytea NOT NULL, chunks integer NOT NULL,
    stored integer NOT NULL, day integer NOT NULL);
  CREATE INDEX IF NOT EXISTS blobs_by_space ON blobs (space);
  CREATE TABLE IF NOT EXISTS blob_chunks (id bytea NOT NULL REFERENCES blobs (id) ON DELETE CASCADE, idx integer NOT NULL,
    data bytea NOT NULL, PRIMARY KEY (id, idx));
  ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
`
/**
 * An upload is one transaction that holds its blob's row lock while its body arrives (invariant
 * 6 across instances), committed with synchronous_commit on (invariant 3). Its session may wait
 * for the body up to the handler's stall limit, so it is allowed to idle longer than a store write.
 */
const BEGIN_APPEND = "BEGIN; SET LOCAL synchronous_commit TO on; SET LOCAL lock_timeout TO '30s'; SET LOCAL idle_in_transaction_session_timeout TO '120s'"
/** Chunk rows read per query while a download streams: 512 KiB. */
const READ_BATCH = 8
/** PostgreSQL's disk_full: answered B507, never B500. */
const isFull = (err: unknown) => (err as { code?: string }).code === '53100'
const USAGE = 'SELECT coalesce(sum(chunks), 0)::bigint AS chunks, coalesce(sum(chunks - stored), 0)::bigint AS missing FROM blobs'

export interface PostgresBlobOptions {
  /** Connections of the blob store's own pool: each upload in flight holds one ([B5] upload slots, plus a few). */
  readonly maxConnections: number
  readonly onConnectionError?: (err: Error) => void
}

export async function openPostgresBlobStore(url: string, options: PostgresBlobOptions): Promise<BlobStore> {
  const pool = openPool(url, options.maxConnections, options.onConnectionError ?? (() => undefined))
  try {
    await transaction(pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('fieldchat:schema:' || current_schema()))")
      // Beside a prepared store only: tables made in an empty schema would make the store refuse it (S100).
      const prepared = await c.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'store_format'")
      if (prepared.rowCount !== 1) throw new Error('the blob tables go beside a prepared PostgreSQL store: open the store first')
      // Made once: the ALTER would otherwise wait for every upload in flight on the other instances.
      const made = await c.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'blob_chunks'")
      if (made.rowCount === 0) await c.query(TABLES)
    })
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw err
  }
  const turns = new KeyedMutex()
  const usage = async (c: Client | Pool, space?: Uint8Array): Promise<BlobUsage> => {
    const row = (await c.query<{ chunks: number; missing: number }>(space ? `${USAGE} WHERE space = $1` : USAGE, space ? [space] : [])).rows[0]!
    return { bytes: blobBytes(row.chunks), pending: blobBytes(row.missing) }
  }

  const append = async (id: Uint8Array, start: number, chunks: AsyncIterable<Uint8Array>, now: number): Promise<AppendOutcome> => {
    const c = await pool.connect()
    let broken = false
    try {
      await c.query(BEGIN_APPEND)
      const row = (await c.query<{ chunks: number; stored: number }>('SELECT chunks, stored FROM blobs WHERE id = $1 FOR UPDATE', [id])).rows[0]
      if (!row || start > row.stored) {
        await c.query('ROLLBACK')
        return row ? { kind: 'out-of-order', stored: row.stored } : { kind: 'missing' }
      }
      const input = chunks[Symbol.asyncIterator]()
      let stored = row.stored
      let failed: unknown
      for (let i = start; i < row.chunks; i++) {
        const chunk = await nextChunk(input)
        if (!chunk) break
        if (i < stored) continue // a retry's overlap: already committed, never rewritten
        try {
          await c.query('INSERT INTO blob_chunks (id, idx, data) VALUES ($1, $2, $3) ON CONFLICT (id, idx) DO UPDATE SET data = excluded.data', [id, i, chunk])
        } catch (err) {
          failed = err
          break
        }
        stored++
      }
      await input.return?.()
      if (failed !== undefined) {
        // The transaction is lost with its chunks; what earlier uploads committed stays.
        await c.query('ROLLBACK')
        if (isFull(failed)) return { kind: 'full', stored: row.stored }
        throw failed
      }
      await c.query('UPDATE blobs SET stored = $2, day = $3 WHERE id = $1', [id, stored, blobDay(now)])
      try {
        await c.query('COMMIT')
      } catch (err) {
        if (isFull(err)) return { kind: 'full', stored: row.stored }
        throw err
      }
      return { kind: 'appended', stored }
    } catch (err) {
      await c.query('ROLLBACK').catch(() => (broken = true))
      throw err
    } finally {
      c.release(broken)
    }
  }

  return {
    async create(id, blob, capacity, now) {
      try {
        return await transaction(pool, async (c) => {
          // Invariant 4 across instances: creates take turns, so two cannot both pass one quota.
          await c.query("SELECT pg_advisory_xact_lock(hashtext('fieldchat:blobs:' || current_schema()))")
          const found = (await c.query<{ conv: Buffer; chunks: number; space: Buffer; stored: number }>('SELECT conv, space, chunks, stored FROM blobs WHERE id = $1', [blobIdBytes(id)])).rows[0]
          if (found) return bytesEqual(found.conv, blob.conv) && found.chunks === blob.chunks ? { kind: 'exists', blob: found } : { kind: 'conflict' }
          const refusal = capacityRefusal(blob.chunks, await usage(c, blob.space), await usage(c), undefined, capacity)
          if (refusal) return { kind: refusal }
          await c.query('INSERT INTO blobs (id, conv, space, chunks, stored, day) VALUES ($1, $2, $3, $4, 0, $5)', [blobIdBytes(id), blob.conv, blob.space, blob.chunks, blobDay(now)])
          return { kind: 'created', blob: { ...blob, stored: 0 } }
        })
      } catch (err) {
        if (isFull(err)) return { kind: 'full' }
        throw err
      }
    },
    async get(id) {
      return (await pool.query<{ conv: Buffer; space: Buffer; chunks: number; stored: number }>('SELECT conv, space, chunks, stored FROM blobs WHERE id = $1', [blobIdBytes(id)])).rows[0]
    },
    append(id, start, chunks, now) {
      return turns.run(id, () => append(blobIdBytes(id), start, chunks, now))
    },
    async read(id, start, end) {
      const bytes = blobIdBytes(id)
      const row = (await pool.query<{ chunks: number; stored: number }>('SELECT chunks, stored FROM blobs WHERE id = $1', [bytes])).rows[0]
      if (!row || row.stored < row.chunks) return undefined
      const first = Math.floor(start / BLOB_CHUNK_BYTES)
      const last = Math.floor((end - 1) / BLOB_CHUNK_BYTES)
      // A few rows per query, asked for only as the reader takes them: memory stays flat in the range.
      return Readable.from((async function* () {
        for (let from = first; from <= last; from += READ_BATCH) {
          const to = Math.min(last, from + READ_BATCH - 1)
          const rows = (await pool.query<{ idx: number; data: Buffer }>('SELECT idx, data FROM blob_chunks WHERE id = $1 AND idx BETWEEN $2 AND $3 ORDER BY idx', [bytes, from, to])).rows
          if (rows.length !== to - from + 1) throw new Error('the blob was deleted while it was read')
          for (const r of rows) {
            const at = r.idx * BLOB_CHUNK_BYTES
            yield r.data.subarray(Math.max(0, start - at), Math.min(BLOB_CHUNK_BYTES, end - at))
          }
        }
      })(), { objectMode: false })
    },
    delete(id) {
      return turns.run(id, async () => (await transaction(pool, (c) => c.query('DELETE FROM blobs WHERE id = $1', [blobIdBytes(id)]))).rowCount === 1)
    },
    usage(space) {
      return usage(pool, space)
    },
    async sweep(now, incompleteDays) {
      // An upload in progress holds its row: skipped, not waited for.
      const result = await transaction(pool, (c) => c.query(
        'DELETE FROM blobs WHERE id IN (SELECT id FROM blobs WHERE stored < chunks AND day <= $1 FOR UPDATE SKIP LOCKED)',
        [blobDay(now) - incompleteDays],
      ))
      return result.rowCount ?? 0
    },
    async close() {
      await pool.end()
    },
  }
}
