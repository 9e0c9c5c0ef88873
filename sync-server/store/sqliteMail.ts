import type { Database } from 'better-sqlite3'
import { toHex } from '../../crypto/verify.js'
import { MAIL_TTL_DAYS, dayOf, type ChangeStore, type DecoyPools } from './ChangeStore.js'
import { decoysToDrop, shuffled } from './decoys.js'

type MailPart = Pick<ChangeStore, 'postMail' | 'readMail' | 'deleteMail' | 'mailBodies' | 'expireMail'>

/**
 * [S11] Mailboxes in SQLite. A body is stored once in `mail_body` with its fanout (the rows it was
 * posted with) and a count of the rows (`mail`) that still refer to it; each row has its own id,
 * so `mail-done` stays per mailbox. `dest` is a hash of a mailbox address or a decoy (crypto
 * [K8]): never an address, never a device key; no sender is kept.
 */
export function sqliteMail(db: Database): MailPart {
  db.exec(`
    CREATE TABLE IF NOT EXISTS mail_body (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL, refs INTEGER NOT NULL, fanout INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS mail (id INTEGER PRIMARY KEY AUTOINCREMENT, dest BLOB NOT NULL, body_id INTEGER NOT NULL REFERENCES mail_body (id),
      expires INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS mail_by_dest ON mail (dest, id);
    CREATE INDEX IF NOT EXISTS mail_by_body ON mail (body_id);
    CREATE INDEX IF NOT EXISTS mail_by_expiry ON mail (expires);
  `)
  const q = {
    count: db.prepare<[Uint8Array], { n: number }>('SELECT count(*) AS n FROM mail WHERE dest = ?'),
    putBody: db.prepare('INSERT INTO mail_body (body, refs, fanout) VALUES (?, ?, ?)'),
    put: db.prepare('INSERT INTO mail (dest, body_id, expires) VALUES (?, ?, ?)'),
    expired: db.prepare<[number], { id: number; body_id: number }>('SELECT id, body_id FROM mail WHERE expires < ?'),
    read: db.prepare<[Uint8Array, number], { id: number; body: Uint8Array; fanout: number }>(
      'SELECT mail.id, body, fanout FROM mail JOIN mail_body ON mail_body.id = mail.body_id WHERE dest = ? ORDER BY mail.id LIMIT ?',
    ),
    entry: db.prepare<[Uint8Array, number], { body_id: number; fanout: number }>('SELECT body_id, fanout FROM mail JOIN mail_body ON mail_body.id = mail.body_id WHERE dest = ? AND mail.id = ?'),
    rowsOf: db.prepare<[number], { id: number; dest: Uint8Array }>('SELECT id, dest FROM mail WHERE body_id = ?'),
    delete: db.prepare('DELETE FROM mail WHERE id = ?'),
    unref: db.prepare('UPDATE mail_body SET refs = refs - ? WHERE id = ?'),
    dropBody: db.prepare('DELETE FROM mail_body WHERE id = ? AND refs <= 0'),
    bodies: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mail_body'),
  }
  const post = db.transaction((to: readonly Uint8Array[], decoys: readonly Uint8Array[], bodies: readonly Uint8Array[], limit: number, expires: number) => {
    // Invariant 7: every mailbox is checked before anything is stored.
    if (to.some((d) => q.count.get(d)!.n + bodies.length > limit)) return undefined
    const rows = [...to, ...decoys]
    const items = bodies.map((b) => Number(q.putBody.run(b, rows.length, rows.length).lastInsertRowid))
    // Rows go in in random order: ids follow insertion, and the first of an item's ids must not
    // be its real recipients (ChangeStore invariant 8).
    const ids: number[][] = rows.map(() => [])
    for (const r of shuffled(rows.length)) ids[r] = items.map((bodyId) => Number(q.put.run(rows[r]!, bodyId, expires).lastInsertRowid))
    return { items, ids }
  })
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
      return post(to, decoys, bodies, limit, dayOf(now) + MAIL_TTL_DAYS)
    },
    async readMail(to, limit) {
      return q.read.all(to, limit).map((r) => ({ id: r.id, body: r.body, fanout: r.fanout }))
    },
    async deleteMail(to, ids, pools) {
      remove(to, ids, pools)
    },
    async mailBodies() {
      return q.bodies.get()!.n
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
