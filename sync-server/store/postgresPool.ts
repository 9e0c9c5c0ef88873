import pg from 'pg'

/**
 * [S20] The PostgreSQL store's connections: one pool per process, and every write in a
 * transaction that commits before its promise resolves (ChangeStore invariant 1).
 */

// Counters and ids are bigint columns; pg hands int8 back as text. Every value the store keeps
// there (sseqs, seqs, mail ids, counts, byte totals) stays far below 2^53.
const INT8 = 20
const int8AsNumber = (text: string): number => {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new RangeError('an int8 value beyond 2^53')
  return n
}
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? int8AsNumber : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
}

export type Pool = pg.Pool
export type Client = pg.PoolClient

export function openPool(url: string, max: number, onError: (err: Error) => void): Pool {
  const pool = new pg.Pool({ connectionString: url, max, types, keepAlive: true, connectionTimeoutMillis: 10_000, application_name: 'fieldchat' })
  // An idle client whose connection drops emits here; unhandled, it would end the process.
  pool.on('error', onError)
  return pool
}

/** Deadlock and serialization failures: the transaction changed nothing and may run again. */
const RETRYABLE = new Set(['40P01', '40001'])
const ATTEMPTS = 3

/**
 * Runs `work` in one transaction. `synchronous_commit` is set on for it whatever the server's
 * default: COMMIT returns only once the WAL is flushed, so a resolved write survives a crash of
 * PostgreSQL's host too (invariant 1). A failed COMMIT rejects: the caller sends no ack.
 * Bounded waits: a lock not granted within 30 s fails the write (the device resends), and a
 * session idle for 30 s inside its transaction — an instance whose machine vanished while it
 * held a document's lock — is ended by PostgreSQL, which frees the lock for the others.
 */
const BEGIN = "BEGIN; SET LOCAL synchronous_commit TO on; SET LOCAL lock_timeout TO '30s'; SET LOCAL idle_in_transaction_session_timeout TO '30s'"

export async function transaction<T>(pool: Pool, work: (client: Client) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect()
    let broken = false
    try {
      await client.query(BEGIN)
      const out = await work(client)
      await client.query('COMMIT')
      return out
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true))
      const code = (err as { code?: unknown }).code
      if (attempt < ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue
      throw err
    } finally {
      // A connection that cannot even roll back is not handed to the next caller.
      client.release(broken)
    }
  }
}

/** Bytes as pg returns them (Buffer) or as the store was given them: compared by content. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
