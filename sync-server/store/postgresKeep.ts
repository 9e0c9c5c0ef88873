import { transaction, type Client, type Pool } from './postgresPool.js'

/**
 * [S56] Keep-until days and dropped documents on PostgreSQL, the same rules as sqliteKeep.ts:
 * `keeps` has a row only for a document all of whose stored envelopes named a day (no row:
 * forever, as every document stored before format 2 is), `dropped` the tombstones.
 */

/** What an append (postgresAppend.ts) knows of one document of its batch, as far as days go. */
export interface KeepState {
  readonly conv: Uint8Array
  /** It had envelopes before this batch. */
  readonly existed: boolean
  /** This batch stored an envelope of it. */
  readonly changed: boolean
  /** It has a keep row (else it is forever, or new). */
  readonly hasKeep: boolean
  /** Of this batch's newly stored envelopes: whether one said forever, and the latest day the others named. */
  readonly forever: boolean
  readonly day: number
}

/** Documents dropped per transaction, each locked while it goes. */
const DROP_BATCH = 100

/**
 * Invariant 9, inside the append's transaction, which holds every document's row locked (so no
 * other append or sweep of these documents runs meanwhile; GREATEST keeps the rule in the
 * statement all the same). A new document with a day gets its row, an existing one with a row
 * keeps the later day, and forever removes the row for good.
 */
export async function writeKeeps(c: Client, docs: ReadonlyMap<string, KeepState>): Promise<void> {
  const moved = [...docs.entries()].filter(([, d]) => d.changed)
  const forever = moved.filter(([, d]) => d.forever && d.hasKeep)
  const later = moved.filter(([, d]) => !d.forever && (!d.existed || d.hasKeep))
  if (forever.length) await c.query('DELETE FROM keeps WHERE doc = ANY($1::bytea[])', [forever.map(([k]) => Buffer.from(k, 'hex'))])
  if (later.length) {
    await c.query(
      'INSERT INTO keeps (doc, conv, day) SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int[]) ' +
        'ON CONFLICT (doc) DO UPDATE SET day = GREATEST(keeps.day, excluded.day)',
      [later.map(([k]) => Buffer.from(k, 'hex')), later.map(([, d]) => d.conv), later.map(([, d]) => d.day)],
    )
  }
}

/**
 * Invariant 10. Candidates are found without locks, then their `docs` rows are locked in byte
 * order (as appends lock them), and only then is each one's day read again: an append that
 * committed in between (a later day, or forever) wins. Several instances may sweep at once; each
 * document goes once.
 */
export async function dropExpired(pool: Pool, today: number): Promise<number> {
  let gone = 0
  for (;;) {
    const candidates = (await pool.query<{ doc: Buffer }>('SELECT doc FROM keeps WHERE day < $1 ORDER BY doc LIMIT $2', [today, DROP_BATCH])).rows.map((r) => r.doc)
    if (candidates.length === 0) return gone
    gone += await transaction(pool, async (c) => {
      await c.query('SELECT doc FROM docs WHERE doc = ANY($1::bytea[]) ORDER BY doc FOR UPDATE', [candidates])
      const due = (await c.query<{ doc: Buffer; conv: Buffer }>('DELETE FROM keeps WHERE doc = ANY($1::bytea[]) AND day < $2 RETURNING doc, conv', [candidates, today])).rows
      if (due.length === 0) return 0
      const ids = due.map((r) => r.doc)
      await c.query(
        'WITH e AS (DELETE FROM envelopes WHERE doc = ANY($1::bytea[])), s AS (DELETE FROM snapshots WHERE doc = ANY($1::bytea[])), ' +
          'h AS (DELETE FROM heads WHERE doc = ANY($1::bytea[])), d AS (DELETE FROM docs WHERE doc = ANY($1::bytea[])) ' +
          'INSERT INTO dropped (doc, conv) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (doc) DO NOTHING',
        [ids, due.map((r) => r.conv)],
      )
      return due.length
    })
  }
}
