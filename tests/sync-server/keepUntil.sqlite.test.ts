import Database from 'better-sqlite3'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { AppendItem } from '../../sync-server/store/ChangeStore.js'
import { STORE_FORMAT, openSqliteStore } from '../../sync-server/store/sqlite.js'
import { world } from './changeStore.contract.js'

/** [S56][S13] What a copy of the SQLite file shows after a drop, and an older file opened by this server. */
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-keep-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshFile = () => join(dir, `keep-${n++}.sqlite`)

/** The database file and its -wal as an attacker would copy them. */
const stolen = (file: string) => Buffer.concat([file, `${file}-wal`].map((f) => (existsSync(f) ? readFileSync(f) : Buffer.alloc(0))))
/** Envelope bytes with a marker the test can look for (the store sees opaque bytes, as from any client). */
const marked = (items: AppendItem[], marker: Buffer, size: number): AppendItem[] =>
  items.map((item) => ({ ...item, bytes: new Uint8Array(Buffer.concat([marker, randomBytes(size)])) }))

test('[S56][S8] after a drop neither the database file nor its -wal holds a byte of the dropped envelopes or snapshot (secure_delete, WAL truncated); a kept document\'s bytes are still there', async () => {
  const file = freshFile()
  const store = openSqliteStore(file)
  const w = world()
  const gone = Buffer.from(`DROPPED-${randomBytes(8).join('.')}-`)
  const stays = Buffer.from(`KEPT-${randomBytes(8).join('.')}-`)
  const keptDoc = randomBytes(16)
  // Small envelopes in the row, large ones in overflow pages.
  const dropped = marked(w.chain(w.alice, 4), gone, 9000).map((item, i) => ({ ...item, bytes: i % 2 ? item.bytes.subarray(0, 200) : item.bytes, keep: 20_001 }))
  await store.append(dropped)
  await store.append([{ ...dropped[1]!, kind: 2, prev: dropped[1]!.hash, hash: randomBytes(32), bytes: new Uint8Array(Buffer.concat([gone, randomBytes(5000)])), keep: 20_001 }])
  await store.append(marked(w.chain(w.alice, 2, keptDoc), stays, 3000).map((item) => ({ ...item, keep: 0 })))
  expect(stolen(file).includes(gone)).toBe(true)

  expect(await store.dropExpired(20_002)).toBe(1)
  const copy = stolen(file)
  expect(copy.includes(gone)).toBe(false)
  expect(copy.includes(stays)).toBe(true)
  await store.close()

  // The copy's tables: the tombstone names the conversation and document, nothing else of them is left.
  const db = new Database(file, { readonly: true })
  const rowsOf = (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table} WHERE doc = ?`).get(w.doc) as { n: number }
  expect(['envelopes', 'snapshots', 'heads', 'docs', 'keeps'].map((t) => [t, rowsOf(t).n])).toEqual([['envelopes', 0], ['snapshots', 0], ['heads', 0], ['docs', 0], ['keeps', 0]])
  expect(db.prepare('SELECT doc, conv FROM dropped').all()).toEqual([{ doc: Buffer.from(w.doc), conv: Buffer.from(w.conv) }])
  db.close()
})

test('[S56][S13] a format-6 file (from before keep-until days) opens and records format 7; its documents are forever, new ones follow their days', async () => {
  const file = freshFile()
  const w = world()
  const first = openSqliteStore(file)
  await first.append(w.chain(w.alice, 2))
  await first.close()
  const old = new Database(file)
  old.exec('DROP TABLE keeps; DROP TABLE dropped')
  old.pragma('user_version = 6')
  old.close()

  const store = openSqliteStore(file)
  const check = new Database(file, { readonly: true })
  expect(check.pragma('user_version', { simple: true })).toBe(STORE_FORMAT)
  expect(STORE_FORMAT).toBe(7)
  check.close()
  // An old document named a day later stays forever: it had envelopes that said nothing.
  expect(await store.append(w.chain(w.alice, 1).map((item) => ({ ...item, keep: 20_001 })))).toEqual([{ ok: true, sseq: 3, duplicate: false }])
  const fresh = randomBytes(16)
  await store.append(w.chain(w.alice, 1, fresh).map((item) => ({ ...item, keep: 20_001 })))
  expect(await store.dropExpired(20_100)).toBe(1)
  expect((await store.read(w.conv, w.doc, 0, 10)).length).toBe(3)
  expect(await store.read(w.conv, fresh, 0, 10)).toEqual([])
  await store.close()
})

test('[S56] invariant 10 survives close and reopen: the tombstone still refuses the document', async () => {
  const file = freshFile()
  const w = world()
  const [one, two] = w.chain(w.alice, 2).map((item) => ({ ...item, keep: 20_001 }))
  const first = openSqliteStore(file)
  await first.append([one!])
  expect(await first.dropExpired(20_002)).toBe(1)
  await first.close()
  const second = openSqliteStore(file)
  expect(await second.append([one!, { ...two!, keep: 0 }])).toEqual([{ ok: false, reason: 'dropped' }, { ok: false, reason: 'dropped' }])
  await second.close()
})
