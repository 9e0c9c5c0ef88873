import type { Database } from 'better-sqlite3'
import { toHex } from '../../crypto/verify.js'
import { MAIL_TTL_DAYS, dayOf, type ChangeStore, type DecoyPools } from './ChangeStore.js'
import { decoysToDrop, shuffled } from './decoys.js'

type MailPart = Pick<ChangeStore, 'postMail' | 'readMail' | 'readMailItems' | 'deleteMail' | 'mailBodies' | 'mailDepth' | 'expireMail'>

/**
 * [S11] Mailboxes in SQLite. A body is stored once in `mail_body` with its fanout (the rows it was
 * posted with) and a count of the rows (`mail`) that still refer to it; each row has its own id,
 * so `mail-done` stays per mailbox. `dest` is a hash of a mailbox address or a decoy (crypto
 * [K8]): never an address, never a device key; no sender is kept.
 *
 * [S11] A large post (more than POST_CHUNK rows) is written in transactions of POST_CHUNK rows,
 * with the event loop free between them (a 10,000-row post in one transaction held every other
 * connection about 100 ms): its bodies are stored `ready = 0` first, and only the last, one-row
 * transaction makes them readable. Until then no mailbox shows them and no `mail-done` can take
 * them; a process that stops half-way leaves rows of bodies never made ready, deleted when the
 * store opens again (the sender had no ack: it posts again).
 */
const POST_CHUNK = 1000
const yieldToOthers = () => new Promise<void>((r) => setImmediate(r))

export function sqliteMail(db: Database): MailPart {
  db.exec(`
    CREATE TABLE IF NOT EXISTS mail_body (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL, refs INTEGER NOT NULL, fanout INTEGER NOT NULL,
      ready INTEGER NOT NULL DEFAULT 1);
    CREATE TABLE IF NOT EXISTS mail (id INTEGER PRIMARY KEY AUTOINCREMENT, dest BLOB NOT NULL, body_id INTEGER NOT NULL REFERENCES mail_body (id),
      expires INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS mail_by_dest ON mail (dest, id);
    CREATE INDEX IF NOT EXISTS mail_by_body ON mail (body_id);
    CREATE INDEX IF NOT EXISTS mail_by_expiry ON mail (expires);
  `)
  // Format 5 files have no `ready` column: every body in them was posted whole.
  if (!db.prepare<[], { name: string }>('PRAGMA table_info(mail_body)').all().some((c) => c.name === 'ready')) {
    db.exec('ALTER TABLE mail_body ADD COLUMN ready INTEGER NOT NULL DEFAULT 1')
  }
  // A large post cut off half-way (the process stopped): its rows and bodies go.
  db.exec('DELETE FROM mail WHERE body_id IN (SELECT id FROM mail_body WHERE ready = 0); DELETE FROM mail_body WHERE ready = 0')
  const q = {
    count: db.prepare<[Uint8Array], { n: number }>('SELECT count(*) AS n FROM mail WHERE dest = ?'),
    putBody: db.prepare('INSERT INTO mail_body (body, refs, fanout, ready) VALUES (?, ?, ?, ?)'),
    ready: db.prepare('UPDATE mail_body SET ready = 1 WHERE id = ?'),
    dropRows: db.prepare('DELETE FROM mail WHERE body_id = ?'),
    dropAny: db.prepare('DELETE FROM mail_body WHERE id = ?'),
    put: db.prepare('INSERT INTO mail (dest, body_id, expires) VALUES (?, ?, ?)'),
    expired: db.prepare<[number], { id: number; body_id: number }>('SELECT id, body_id FROM mail WHERE expires < ?'),
    read: db.prepare<[Uint8Array, number], { id: number; body: Uint8Array; fanout: number }>(
      'SELECT mail.id, body, fanout FROM mail JOIN mail_body ON mail_body.id = mail.body_id WHERE dest = ? AND ready = 1 ORDER BY mail.id LIMIT ?',
    ),
    item: db.prepare<[Uint8Array, number], { body: Uint8Array; fanout: number }>(
      'SELECT body, fanout FROM mail JOIN mail_body ON mail_body.id = mail.body_id WHERE dest = ? AND mail.id = ? AND ready = 1',
    ),
    entry: db.prepare<[Uint8Array, number], { body_id: number; fanout: number }>('SELECT body_id, fanout FROM mail JOIN mail_body ON mail_body.id = mail.body_id WHERE dest = ? AND mail.id = ? AND ready = 1'),
    rowsOf: db.prepare<[number], { id: number; dest: Uint8Array }>('SELECT id, dest FROM mail WHERE body_id = ?'),
    delete: db.prepare('DELETE FROM mail WHERE id = ?'),
    unref: db.prepare('UPDATE mail_body SET refs = refs - ? WHERE id = ?'),
    dropBody: db.prepare('DELETE FROM mail_body WHERE id = ? AND refs <= 0'),
    bodies: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mail_body'),
    depth: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mail'),
  }
  const post = db.transaction((to: readonly Uint8Array[], decoys: readonly Uint8Array[], bodies: readonly Uint8Array[], limit: number, expires: number) => {
    // Invariant 7: every mailbox is checked before anything is stored.
    if (to.some((d) => q.count.get(d)!.n + bodies.length > limit)) return undefined
    const rows = [...to, ...decoys]
    const items = bodies.map((b) => Number(q.putBody.run(b, rows.length, rows.length, 1).lastInsertRowid))
    // Rows go in in random order: ids follow insertion, and the first of an item's ids must not
    // be its real recipients (ChangeStore invariant 8).
    const ids: number[][] = rows.map(() => [])
    for (const r of shuffled(rows.length)) ids[r] = items.map((bodyId) => Number(q.put.run(rows[r]!, bodyId, expires).lastInsertRowid))
    return { items, ids }
  })
  // The steps of a large post (see POST_CHUNK).
  const over = db.transaction((to: readonly Uint8Array[], n: number, limit: number) => to.some((d) => q.count.get(d)!.n + n > limit))
  const begin = db.transaction((bodies: readonly Uint8Array[], fanout: number) => bodies.map((b) => Number(q.putBody.run(b, fanout, fanout, 0).lastInsertRowid)))
  const putRows = db.transaction((rows: readonly Uint8Array[], order: readonly number[], items: readonly number[], expires: number, ids: number[][]) => {
    for (const r of order) ids[r] = items.map((bodyId) => Number(q.put.run(rows[r]!, bodyId, expires).lastInsertRowid))
  })
  const finish = db.transaction((items: readonly number[]) => items.forEach((id) => q.ready.run(id)))
  const abandon = db.transaction((items: readonly number[]) => items.forEach((id) => (q.dropRows.run(id), q.dropAny.run(id))))
  const postLarge = async (to: readonly Uint8Array[], decoys: readonly Uint8Array[], bodies: readonly Uint8Array[], limit: number, expires: number) => {
    // Invariant 7: every mailbox is checked before anything is stored (posts in flight at the
    // same moment may each pass the check: a mailbox can end a few items over the limit).
    for (let i = 0; i < to.length; i += POST_CHUNK) {
      if (over(to.slice(i, i + POST_CHUNK), bodies.length, limit)) return undefined
      await yieldToOthers()
    }
    const rows = [...to, ...decoys]
    const items = begin(bodies, rows.length)
    try {
      const ids: number[][] = rows.map(() => [])
      const order = shuffled(rows.length)
      const step = Math.max(1, Math.floor(POST_CHUNK / bodies.length))
      for (let i = 0; i < order.length; i += step) {
        await yieldToOthers()
        putRows(rows, order.slice(i, i + step), items, expires, ids)
      }
      finish(items)
      return { items, ids }
    } catch (err) {
      abandon(items)
      throw err
    }
  }
  const expire = db.transaction((today: number) => {
    const rows = q.expired.all(today)
    for (const row of rows) {
      q.delete.run(row.id)
      q.unref.run(1, row.body_id)
      q.dropBody.run(row.body_id)
    }
    return rows.length
  })
  const remove = db.transaction((to: Uint8Array, ids: readonly number[], pools: DecoyPools | undefined) => {
    for (const id of ids) {
      const entry = q.entry.get(to, id)
      if (!entry) continue
      q.delete.run(id)
      const pool = pools?.(id, entry.fanout)
      const decoys = pool ? decoysToDrop(q.rowsOf.all(entry.body_id), pool) : []
      for (const d of decoys) q.delete.run(d)
      // Invariant 7: the last reference takes the body with it, in the same transaction.
      q.unref.run(1 + decoys.length, entry.body_id)
      q.dropBody.run(entry.body_id)
    }
  })

  return {
    async postMail(to, bodies, limit, now = Date.now(), decoys = []) {
      if (new Set([...to, ...decoys].map(toHex)).size !== to.length + decoys.length) throw new Error('postMail: duplicate recipient')
      const expires = dayOf(now) + MAIL_TTL_DAYS
      return (to.length + decoys.length) * bodies.length > POST_CHUNK ? postLarge(to, decoys, bodies, limit, expires) : post(to, decoys, bodies, limit, expires)
    },
    async readMail(to, limit) {
      return q.read.all(to, limit).map((r) => ({ id: r.id, body: r.body, fanout: r.fanout }))
    },
    async readMailItems(to, ids) {
      // [S21] Only items made ready; ids are row ids, so each is one row of this destination at most.
      return [...new Set(ids)].sort((a, b) => a - b).slice(0, 1000).flatMap((id) => {
        const r = q.item.get(to, id)
        return r ? [{ id, body: r.body, fanout: r.fanout }] : []
      })
    },
    async deleteMail(to, ids, pools) {
      remove(to, ids, pools)
    },
    async mailBodies() {
      return q.bodies.get()!.n
    },
    async mailDepth() {
      // A full count, but SQLite counts an index's pages (1,000,000 rows: 0.5 ms median, 3.5 ms
      // max, measured 2026-12-05); /metrics asks at most every 10 s anyway.
      return q.depth.get()!.n
    },
    async expireMail(now) {
      const gone = expire(dayOf(now))
      // secure_delete zeroes freed pages in the database file, but in WAL mode the old page images
      // stay in the -wal file until a checkpoint: truncate it, so deleted mail leaves both files.
      db.pragma('wal_checkpoint(TRUNCATE)')
      return gone
    },
  }
}
