import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { compareKeys, type Entry, type Key, type LocalStore, type WriteOp } from '../core/storage/LocalStore.js'

/**
 * LocalStore for Node clients (CLI, bots, benchmarks, tests): one SQLite file. Tuple keys are
 * joined with U+0000, the lowest code point, so a prefix is a byte range; key parts never
 * contain it (ids are base64url, numbers are zero-padded digits). SQLite compares TEXT as UTF-8
 * bytes (code points) while tuple order, like IndexedDB's, compares UTF-16 code units; the two
 * differ only for characters above U+FFFF, so `range` sorts its rows with `compareKeys`.
 */
const SEP = '\u0000'

export function openSqliteLocalStore(file: string): LocalStore {
  mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  // Deleted rows (clear records replaced by sealed ones, [M28]) are overwritten, not left in free pages.
  db.pragma('secure_delete = ON')
  db.exec('CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID')
  const get = db.prepare<[string], { v: Buffer }>('SELECT v FROM kv WHERE k = ?')
  const range = db.prepare<[string, string, string], { k: string; v: Buffer }>('SELECT k, v FROM kv WHERE k = ? OR (k >= ? AND k < ?) ORDER BY k')
  const all = db.prepare<[], { k: string; v: Buffer }>('SELECT k, v FROM kv ORDER BY k')
  const put = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v')
  const del = db.prepare('DELETE FROM kv WHERE k = ?')
  const delRange = db.prepare('DELETE FROM kv WHERE k = ? OR (k >= ? AND k < ?)')
  const delAll = db.prepare('DELETE FROM kv')
  const write = db.transaction((ops: readonly WriteOp[]) => {
    for (const op of ops) {
      const k = join(op.key)
      if (op.value === undefined) del.run(k)
      else put.run(k, op.value)
    }
  })
  // The key itself, or anything that continues it with a separator. (The empty prefix has its own
  // statements: no string upper bound is above every key.)
  const bounds = (prefix: Key): [string, string, string] => {
    const p = join(prefix)
    return [p, p + SEP, p + '\u0001']
  }
  return {
    async get(key) {
      const row = get.get(join(key))
      return row ? new Uint8Array(row.v) : undefined
    },
    async range(prefix): Promise<Entry[]> {
      const rows = prefix.length === 0 ? all.all() : range.all(...bounds(prefix))
      return rows.map((r) => ({ key: r.k.split(SEP), value: new Uint8Array(r.v) })).sort((a, b) => compareKeys(a.key, b.key))
    },
    async write(ops) {
      write(ops)
    },
    async removeRange(prefix) {
      if (prefix.length === 0) delAll.run()
      else delRange.run(...bounds(prefix))
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
