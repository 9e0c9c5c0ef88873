import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { StoreFormatError } from '../store/sqlite.js'
import type { PushStore, PushSubscriptionRecord } from './PushStore.js'

/**
 * [S53] `<dataDir>/push.sqlite`: one table, `subs (token, endpoint, p256dh, auth)`, WITHOUT ROWID
 * keyed by the token (a hash: rows lie in random order, not in order of arrival), no time, no
 * device, no conversation. secure_delete overwrites a deleted subscription. Format 1 in
 * user_version; a file of another format is refused at start (S100), never read.
 */
export const PUSH_STORE_FORMAT = 1

export class PushStoreFormatError extends StoreFormatError {
  constructor(file: string, found: number) {
    super(file, found)
    this.message = `S100_STORE_FORMAT: ${file} holds push subscriptions in format ${found}; this server reads format ${PUSH_STORE_FORMAT}. Move it away to start with no subscriptions (devices register again).`
  }
}

export function openSqlitePushStore(file: string): PushStore {
  mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  const hasTables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()!.n > 0
  const found = db.pragma('user_version', { simple: true }) as number
  if (hasTables && found !== PUSH_STORE_FORMAT) {
    db.close()
    throw new PushStoreFormatError(file, found)
  }
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('secure_delete = ON')
  db.exec('CREATE TABLE IF NOT EXISTS subs (token BLOB PRIMARY KEY, endpoint TEXT NOT NULL, p256dh BLOB NOT NULL, auth BLOB NOT NULL) WITHOUT ROWID')
  db.pragma(`user_version = ${PUSH_STORE_FORMAT}`)
  const q = {
    get: db.prepare<[Uint8Array], { endpoint: string; p256dh: Uint8Array; auth: Uint8Array }>('SELECT endpoint, p256dh, auth FROM subs WHERE token = ?'),
    has: db.prepare<[Uint8Array], { n: number }>('SELECT 1 AS n FROM subs WHERE token = ?'),
    upsert: db.prepare('INSERT INTO subs (token, endpoint, p256dh, auth) VALUES (?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth'),
    remove: db.prepare('DELETE FROM subs WHERE token = ?'),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM subs'),
  }
  const put = db.transaction((token: Uint8Array, sub: PushSubscriptionRecord, max: number): 'ok' | 'full' => {
    if (!q.has.get(token) && q.count.get()!.n >= max) return 'full'
    q.upsert.run(token, sub.endpoint, sub.p256dh, sub.auth)
    return 'ok'
  })
  return {
    async put(token, sub, max) {
      return put(token, sub, max)
    },
    async get(token) {
      const row = q.get.get(token)
      return row ? { endpoint: row.endpoint, p256dh: new Uint8Array(row.p256dh), auth: new Uint8Array(row.auth) } : undefined
    },
    async delete(token) {
      q.remove.run(token)
    },
    async count() {
      return q.count.get()!.n
    },
    async close() {
      db.close()
    },
  }
}
