import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Entry, Key, LocalStore, WriteOp } from '../core/storage/LocalStore.js'

/**
 * LocalStore for Node clients (CLI, bots, benchmarks, tests): one SQLite file. Tuple keys are
 * joined with U+0000, the lowest code point, so string order equals tuple order; key parts never
 * contain it (ids are base64url, numbers are zero-padded digits).
 */
const SEP = '\u0000'

export function openSqliteLocalStore(file: string): LocalStore {
  mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID')
  const get = db.prepare<[string], { v: Buffer }>('SELECT v FROM kv WHERE k = ?')
  const range = db.prepare<[string, string, string], { k: string; v: Buffer }>('SELECT k, v FROM kv WHERE k = ? OR (k >= ? AND k < ?) ORDER BY k')
  const put = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v')
  const del = db.prepare('DELETE FROM kv WHERE k = ?')
  const delRange = db.prepare('DELETE FROM kv WHERE k = ? OR (k >= ? AND k < ?)')
  const write = db.transaction((ops: readonly WriteOp[]) => {
    for (const op of ops) {
      const k = join(op.key)
      if (op.value === undefined) del.run(k)
      else put.run(k, op.value)
    }
  })
  const bounds = (prefix: Key): [string, string, string] => {
    const p = join(prefix)
    return prefix.length === 0 ? ['', '', '\uffff'] : [p, p + SEP, p + '\u0001']
  }
  return {
    async get(key) {
      const row = get.get(join(key))
      return row ? new Uint8Array(row.v) : undefined
    },
    async range(prefix): Promise<Entry[]> {
      return range.all(...bounds(prefix)).map((r) => ({ key: r.k.split(SEP), value: new Uint8Array(r.v) }))
    },
    async write(ops) {
      write(ops)
    },
    async removeRange(prefix) {
      delRange.run(...bounds(prefix))
    },
    async close() {
      db.close()
    },
  }
}

function join(key: Key): string {
  for (const part of key) if (part.includes(SEP)) throw new Error('key part contains U+0000')
  return key.join(SEP)
}
