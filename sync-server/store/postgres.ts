import type { ChangeStore, StoredConv } from './ChangeStore.js'
import type { RecoveryBlobStore } from './RecoveryBlobStore.js'
import { appendBatch } from './postgresAppend.js'
import { dropExpired } from './postgresKeep.js'
import { postgresMail } from './postgresMail.js'
import { openPool, transaction, type Pool } from './postgresPool.js'
import { postgresRecovery } from './postgresRecovery.js'
import { prepareSchema, type StorePlace } from './postgresSchema.js'
import { DatabaseUnavailableError, DatabaseUrlError, parseDatabaseUrl } from './postgresUrl.js'
import { StoreFormatError } from './sqlite.js'

/**
 * [S20] The store for several instances: PostgreSQL through one `pg` pool per process, the same
 * data and invariants as sqlite.ts (every implementation runs tests/sync-server/
 * changeStore.contract.ts). Durable before ack: each write is a transaction that commits with
 * synchronous_commit on before its promise resolves (invariant 1).
 */
export interface PostgresStore extends ChangeStore {
  readonly recovery: RecoveryBlobStore
  /** The schema it lives in and the notice channel of its instances ([S21]). */
  readonly place: StorePlace
  /** The pool, for notices sent by the fan-out (fanout/postgres.ts): never for writes of data. */
  readonly pool: Pool
}

export interface PostgresStoreOptions {
  /** Connections this process may hold (pg's default is 10). */
  readonly maxConnections?: number
  /** An idle connection failed (the database restarted, a network cut): told once per event, no URL. */
  readonly onConnectionError?: (err: Error) => void
}

type ConvRow = { cap: Buffer; epoch: number; admin: Buffer | null }
const convOf = (row: ConvRow): StoredConv =>
  row.admin ? { capPublic: row.cap, epoch: row.epoch, admin: row.admin } : { capPublic: row.cap, epoch: row.epoch }

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const { redacted } = parseDatabaseUrl(url)
  const pool = openPool(url, options.maxConnections ?? 10, options.onConnectionError ?? (() => undefined))
  let place: StorePlace
  try {
    place = await prepareSchema(pool, redacted)
  } catch (err) {
    await pool.end().catch(() => undefined)
    // A schema of another format (S100) or no schema (S101) keeps its own code.
    if (err instanceof StoreFormatError || err instanceof DatabaseUrlError) throw err
    throw new DatabaseUnavailableError(redacted, err)
  }
  const getConv = async (conv: Uint8Array) => (await pool.query<ConvRow>('SELECT cap, epoch, admin FROM convs WHERE conv = $1', [conv])).rows[0]
  return {
    place,
    pool,
    async getConv(conv) {
      const row = await getConv(conv)
      return row && convOf(row)
    },
    async registerConv(conv, capPublic, epoch, admin) {
      await transaction(pool, (c) => c.query('INSERT INTO convs (conv, cap, epoch, admin) VALUES ($1, $2, $3, $4) ON CONFLICT (conv) DO NOTHING', [conv, capPublic, epoch, admin ?? null]))
      return convOf((await getConv(conv))!)
    },
    async rekeyConv(conv, capPublic, epoch, admin, from) {
      const result = await transaction(pool, (c) => c.query('UPDATE convs SET cap = $1, epoch = $2, admin = $3 WHERE conv = $4 AND epoch = $5', [capPublic, epoch, admin, conv, from]))
      return result.rowCount === 1
    },
    async append(items) {
      if (items.length === 0) return []
      // Invariant 1: one transaction per push, committed before this resolves.
      return transaction(pool, (c) => appendBatch(c, items))
    },
    async read(conv, doc, after, limit) {
      // Invariant 5: a read under another conversation returns nothing (the join on its owner).
      return (await pool.query<{ sseq: number; bytes: Buffer }>(
        'SELECT e.sseq, e.bytes FROM envelopes e JOIN docs d ON d.doc = e.doc AND d.conv = $2 WHERE e.doc = $1 AND e.sseq > $3 ORDER BY e.sseq LIMIT $4',
        [doc, conv, after, limit],
      )).rows
    },
    async snapshots(conv, doc, after) {
      return (await pool.query<{ bytes: Buffer }>(
        'SELECT s.bytes FROM snapshots s JOIN docs d ON d.doc = s.doc AND d.conv = $2 WHERE s.doc = $1 AND s.covers_sseq > $3 ORDER BY s.covers_sseq',
        [doc, conv, after],
      )).rows.map((r) => r.bytes)
    },
    ...postgresMail(pool),
    dropExpired: (today) => dropExpired(pool, today),
    recovery: postgresRecovery(pool),
    async checkWritable() {
      // [S7] A real write that commits, and changes nothing: the format row rewritten as it is.
      await transaction(pool, (c) => c.query('UPDATE store_format SET format = format'))
    },
    async close() {
      await pool.end()
    },
  }
}
