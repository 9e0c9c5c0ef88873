import Database from 'better-sqlite3'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { STORE_FORMAT, StoreFormatError, openSqliteStore } from '../../sync-server/store/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-migrate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const bob = randomBytes(32)
const carol = randomBytes(32)
const read = async (store: ChangeStore, mailbox: Uint8Array) =>
  (await store.readMail(mailbox, 1000)).map((m) => ({ id: m.id, body: new Uint8Array(m.body) }))

/** A data dir as the first mail layout left it: one row per recipient, with device keys as dest and sender. */
function oldMailLayout(file: string): void {
  const db = new Database(file)
  db.exec('CREATE TABLE mail (id INTEGER PRIMARY KEY AUTOINCREMENT, dest BLOB NOT NULL, sender BLOB NOT NULL, body BLOB NOT NULL)')
  db.prepare('INSERT INTO mail (dest, sender, body) VALUES (?, ?, ?)').run(bob, carol, randomBytes(40))
  db.close()
}

test('[S13] a file of the first mail layout (device keys as recipient and sender) is refused, not migrated, and left as it was', () => {
  const file = join(dir, 'old.sqlite')
  oldMailLayout(file)
  const before = readFileSync(file)
  expect(() => openSqliteStore(file)).toThrow(StoreFormatError)
  expect(readFileSync(file).equals(before)).toBe(true)
})

test('[S11] invariant 7: mail and its shared bodies survive close and reopen', async () => {
  const file = join(dir, 'fresh.sqlite')
  const op = randomBytes(4096)
  const first = openSqliteStore(file)
  const posted = (await first.postMail([bob, carol], [op], 1000))!
  await first.close()
  const second = openSqliteStore(file)
  expect(await read(second, bob)).toEqual([{ id: posted.ids[0]![0], body: op }])
  expect(await second.mailBodies()).toBe(1)
  await second.deleteMail(bob, posted.ids[0]!)
  await second.deleteMail(carol, posted.ids[1]!)
  expect(await second.mailBodies()).toBe(0)
  await second.close()
})

test('[S13] a data file of format 1 (device keys in envelope rows) is refused at open with S100, and left as it was', async () => {
  const file = join(dir, 'format1.sqlite')
  const db = new Database(file)
  db.exec(`
    CREATE TABLE convs (conv BLOB PRIMARY KEY, cap BLOB NOT NULL, epoch INTEGER NOT NULL, admin BLOB) WITHOUT ROWID;
    CREATE TABLE envelopes (doc BLOB NOT NULL, sseq INTEGER NOT NULL, device BLOB NOT NULL, seq INTEGER NOT NULL,
      hash BLOB NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc, sseq)) WITHOUT ROWID;
  `)
  db.prepare('INSERT INTO envelopes VALUES (?, 1, ?, 1, ?, ?)').run(randomBytes(16), bob, randomBytes(32), randomBytes(300))
  db.close()
  const before = readFileSync(file)
  expect(() => openSqliteStore(file)).toThrow(StoreFormatError)
  expect(() => openSqliteStore(file)).toThrow(new RegExp(`S100_STORE_FORMAT.*format 1.*reads format ${STORE_FORMAT}`))
  expect(readFileSync(file).equals(before)).toBe(true)
})

test('[S13] a fresh file records its format; reopening it works', async () => {
  const file = join(dir, 'format2.sqlite')
  await openSqliteStore(file).close()
  const db = new Database(file, { readonly: true })
  expect(db.pragma('user_version', { simple: true })).toBe(STORE_FORMAT)
  db.close()
  await openSqliteStore(file).close()
})

test('[S11] handled mail leaves the files: after the hourly sweep neither the database nor its -wal holds a deleted body', async () => {
  const file = join(dir, 'wal.sqlite')
  const store = openSqliteStore(file)
  const marker = Buffer.from(`MARKER-${Date.now()}-`.repeat(20))
  const posted = (await store.postMail([bob], [new Uint8Array(marker)], 1000))!
  await store.deleteMail(bob, posted.ids[0]!)
  await store.expireMail(Date.now())
  for (const f of [file, `${file}-wal`]) {
    const bytes = existsSync(f) ? readFileSync(f) : Buffer.alloc(0)
    expect(bytes.includes(marker.subarray(0, 40)), f).toBe(false)
  }
  await store.close()
})
