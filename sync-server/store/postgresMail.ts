import { toHex } from '../../crypto/verify.js'
import { MAIL_TTL_DAYS, dayOf, type ChangeStore, type DecoyPools, type MailItem } from './ChangeStore.js'
import { decoysToDrop, shuffled } from './decoys.js'
import { transaction, type Client, type Pool } from './postgresPool.js'

type MailPart = Pick<ChangeStore, 'postMail' | 'readMail' | 'readMailItems' | 'deleteMail' | 'mailBodies' | 'mailDepth' | 'expireMail'>

/**
 * [S11][S20] Mailboxes in PostgreSQL, the same tables as sqliteMail.ts: a body stored once in
 * `mail_body` with its fanout and a count of the `mail` rows that refer to it; rows under hashed
 * destinations (crypto [K8]), no sender.
 *
 * A post is one transaction (all or nothing, invariant 7) written in statements of at most
 * CHUNK rows (arrays through unnest), so a 10,000-recipient post is a few dozen statements, never
 * one of 640,000 rows; other connections are served meanwhile (the driver is asynchronous).
 * Posts take turns on an advisory lock, so the limit check and the rows that follow it are exact
 * even when several instances post to one mailbox at once. Reads, deletes and expiry lock the
 * bodies they touch (in id order, then rows: one order for all) before counting references.
 */
const CHUNK = 5_000
const ROW = 'SELECT m.id, b.body, b.fanout FROM mail m JOIN mail_body b ON b.id = m.body_id WHERE m.dest = $1'

export function postgresMail(pool: Pool): MailPart {
  return {
    async postMail(to, bodies, limit, now = Date.now(), decoys = []) {
      if (new Set([...to, ...decoys].map(toHex)).size !== to.length + decoys.length) throw new Error('postMail: duplicate recipient')
      const expires = dayOf(now) + MAIL_TTL_DAYS
      return transaction(pool, async (c) => {
        await c.query("SELECT pg_advisory_xact_lock(hashtext('fieldchat:mail:' || current_schema()))")
        // Invariant 7: every mailbox is checked before anything is stored (decoys are not limited).
        for (let i = 0; i < to.length; i += CHUNK) {
          const full = await c.query('SELECT 1 FROM mail WHERE dest = ANY($1::bytea[]) GROUP BY dest HAVING count(*) + $2 > $3 LIMIT 1', [
            to.slice(i, i + CHUNK), bodies.length, limit,
          ])
          if (full.rowCount) return undefined
        }
        const rows = [...to, ...decoys]
        const items: number[] = []
        for (const body of bodies) {
          items.push((await c.query<{ id: number }>('INSERT INTO mail_body (body, refs, fanout) VALUES ($1, $2, $2) RETURNING id', [body, rows.length])).rows[0]!.id)
        }
        // Rows take ids in a random order of recipients, as in sqliteMail.ts: the first of an
        // item's ids must not be its real recipients (ChangeStore invariant 8).
        const order = shuffled(rows.length)
        const ids: number[][] = rows.map(() => [])
        const perStatement = Math.max(1, Math.floor(CHUNK / items.length))
        for (let k = 0; k < order.length; k += perStatement) {
          const part = order.slice(k, k + perStatement)
          const fresh = await nextIds(c, part.length * items.length)
          const dest: Uint8Array[] = []
          const bodyOf: number[] = []
          part.forEach((r, j) => {
            ids[r] = items.map((bodyId, i) => (dest.push(rows[r]!), bodyOf.push(bodyId), fresh[j * items.length + i]!))
          })
          await c.query('INSERT INTO mail (id, dest, body_id, expires) SELECT i, d, b, $4 FROM unnest($1::bigint[], $2::bytea[], $3::bigint[]) AS t (i, d, b)', [
            part.flatMap((r) => ids[r]!), dest, bodyOf, expires,
          ])
        }
        return { items, ids }
      })
    },
    async readMail(to, limit) {
      return items((await pool.query(`${ROW} ORDER BY m.id LIMIT $2`, [to, limit])).rows)
    },
    async readMailItems(to, ids) {
      if (ids.length === 0) return []
      const some = [...new Set(ids)].sort((a, b) => a - b).slice(0, 1000)
      return items((await pool.query(`${ROW} AND m.id = ANY($2::bigint[]) ORDER BY m.id`, [to, some])).rows)
    },
    async deleteMail(to, ids, pools) {
      if (ids.length === 0) return
      await transaction(pool, (c) => remove(c, to, ids, pools))
    },
    async mailBodies() {
      return (await pool.query<{ n: number }>('SELECT count(*) AS n FROM mail_body')).rows[0]!.n
    },
    async mailDepth() {
      return (await pool.query<{ n: number }>('SELECT count(*) AS n FROM mail')).rows[0]!.n
    },
    async expireMail(now) {
      return transaction(pool, async (c) => {
        const today = dayOf(now)
        const bodies = (await c.query<{ body_id: number }>('SELECT DISTINCT body_id FROM mail WHERE expires < $1', [today])).rows.map((r) => r.body_id)
        if (bodies.length === 0) return 0
        await lockBodies(c, bodies)
        const gone = await c.query<{ body_id: number }>('DELETE FROM mail WHERE expires < $1 RETURNING body_id', [today])
        await unref(c, gone.rows.map((r) => r.body_id))
        return gone.rowCount ?? 0
      })
    },
  }
}

const items = (rows: { id: number; body: Buffer; fanout: number }[]): MailItem[] => rows.map((r) => ({ id: r.id, body: r.body, fanout: r.fanout }))

/** `n` fresh row ids, ascending (one sequence for every instance). */
async function nextIds(c: Client, n: number): Promise<number[]> {
  const rows = (await c.query<{ id: number }>("SELECT nextval('mail_ids') AS id FROM generate_series(1, $1)", [n])).rows
  return rows.map((r) => r.id).sort((a, b) => a - b)
}

async function lockBodies(c: Client, bodies: readonly number[]): Promise<void> {
  await c.query('SELECT id FROM mail_body WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [[...new Set(bodies)]])
}

/** Invariant 7: rows that went take their references with them; the last one takes the body. */
async function unref(c: Client, bodyOfEachRow: readonly number[]): Promise<void> {
  const counts = new Map<number, number>()
  for (const b of bodyOfEachRow) counts.set(b, (counts.get(b) ?? 0) + 1)
  if (counts.size === 0) return
  await c.query('UPDATE mail_body SET refs = refs - u.n FROM unnest($1::bigint[], $2::int[]) AS u (id, n) WHERE mail_body.id = u.id', [[...counts.keys()], [...counts.values()]])
  await c.query('DELETE FROM mail_body WHERE id = ANY($1::bigint[]) AND refs <= 0', [[...counts.keys()]])
}

async function remove(c: Client, to: Uint8Array, ids: readonly number[], pools: DecoyPools | undefined): Promise<void> {
  const entries = await c.query<{ id: number; body_id: number; fanout: number }>(
    'SELECT m.id, m.body_id, b.fanout FROM mail m JOIN mail_body b ON b.id = m.body_id WHERE m.dest = $1 AND m.id = ANY($2::bigint[])',
    [to, ids],
  )
  if (entries.rows.length === 0) return
  await lockBodies(c, entries.rows.map((e) => e.body_id))
  // What this transaction really deleted: another connection of the same mailbox may have been first.
  const gone = (await c.query<{ id: number; body_id: number }>('DELETE FROM mail WHERE dest = $1 AND id = ANY($2::bigint[]) RETURNING id, body_id', [
    to, entries.rows.map((e) => e.id),
  ])).rows
  const fanout = new Map(entries.rows.map((e) => [e.id, e.fanout]))
  // Invariant 8: per item read with a pool, its decoy rows go in step with the read.
  const withPool = gone.flatMap((g) => {
    const pool = pools?.(g.id, fanout.get(g.id)!)
    return pool ? [{ body: g.body_id, pool }] : []
  })
  let decoys: number[] = []
  if (withPool.length) {
    const left = await c.query<{ id: number; dest: Buffer; body_id: number }>('SELECT id, dest, body_id FROM mail WHERE body_id = ANY($1::bigint[])', [withPool.map((w) => w.body)])
    const rowsOf = new Map<number, { id: number; dest: Uint8Array }[]>()
    for (const r of left.rows) rowsOf.set(r.body_id, [...(rowsOf.get(r.body_id) ?? []), r])
    const drop = withPool.flatMap((w) => decoysToDrop(rowsOf.get(w.body) ?? [], w.pool))
    if (drop.length) decoys = (await c.query<{ body_id: number }>('DELETE FROM mail WHERE id = ANY($1::bigint[]) RETURNING body_id', [drop])).rows.map((r) => r.body_id)
  }
  await unref(c, [...gone.map((g) => g.body_id), ...decoys])
}
