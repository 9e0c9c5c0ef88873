import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { STORE_FORMAT, StoreFormatError, openSqliteStore } from '../../sync-server/store/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-migrate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const alice = randomBytes(32)
const bob = randomBytes(32)
const carol = randomBytes(32)
const read = async (store: ChangeStore, device: Uint8Array) =>
  (await store.readMail(device, 1000)).map((m) => ({ id: m.id, from: new Uint8Array(m.from), body: new Uint8Array(m.body) }))

/** A data dir as the one-row-per-recipient server left it, with mail waiting and one item already handled. */
function oldLayout(file: string, rows: { dest: Uint8Array; body: Uint8Array }[]): void {
  const db = new Database(file)
  db.exec(`
    CREATE TABLE mail (id INTEGER PRIMARY KEY AUTOINCREMENT, dest BLOB NOT NULL, sender BLOB NOT NULL, body BLOB NOT NULL);
    CREATE INDEX mail_by_dest ON mail (dest, id);
  `)
  const put = db.prepare('INSERT INTO mail (dest, sender, body) VALUES (?, ?, ?)')
  for (const row of rows) put.run(row.dest, alice, row.body)
  db.prepare('DELETE FROM mail WHERE id = ?').run(rows.length) // handled: its id must not come back
  db.close()
}

test('[S11] an old-layout sqlite file with waiting mail is migrated at open: same ids, same items, nothing lost', async () => {
  const file = join(dir, 'old.sqlite')
  const [one, two, three, handled] = [randomBytes(40), randomBytes(50), randomBytes(60), randomBytes(70)]
  oldLayout(file, [{ dest: bob, body: one }, { dest: bob, body: two }, { dest: carol, body: three }, { dest: carol, body: handled }])

  const store = openSqliteStore(file)
  expect(await read(store, bob)).toEqual([{ id: 1, from: alice, body: one }, { id: 2, from: alice, body: two }])
  expect(await read(store, carol)).toEqual([{ id: 3, from: alice, body: three }])
  expect(await store.mailBodies()).toBe(3)
  // New mail continues after every id the old table ever gave out.
  const posted = (await store.postMail([bob, carol], alice, [handled], 1000))!
  expect(Math.min(...posted.ids.flat())).toBeGreaterThan(4)
  await store.deleteMail(bob, [1])
  expect(await store.mailBodies()).toBe(3)
  await store.close()

  // Opening the migrated file again changes nothing.
  const again = openSqliteStore(file)
  expect((await read(again, bob)).map((m) => m.body)).toEqual([two, handled])
  expect((await read(again, carol)).map((m) => m.body)).toEqual([three, handled])
  await again.close()
})

test('[S11] a migrated file with an empty old mail table opens and takes new mail', async () => {
  const file = join(dir, 'empty.sqlite')
  oldLayout(file, [])
  const store = openSqliteStore(file)
  expect(await store.readMail(bob, 1000)).toEqual([])
  await store.postMail([bob], alice, [randomBytes(8)], 1000)
  expect(await store.readMail(bob, 1000)).toHaveLength(1)
  await store.close()
})

test('[S11] invariant 7: mail and its shared bodies survive close and reopen', async () => {
  const file = join(dir, 'fresh.sqlite')
  const op = randomBytes(4096)
  const first = openSqliteStore(file)
  const posted = (await first.postMail([bob, carol], alice, [op], 1000))!
  await first.close()
  const second = openSqliteStore(file)
  expect(await read(second, bob)).toEqual([{ id: posted.ids[0]![0], from: alice, body: op }])
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
  db.prepare('INSERT INTO envelopes VALUES (?, 1, ?, 1, ?, ?)').run(randomBytes(16), alice, randomBytes(32), randomBytes(300))
  db.close()
  const before = readFileSync(file)
  expect(() => openSqliteStore(file)).toThrow(StoreFormatError)
  expect(() => openSqliteStore(file)).toThrow(/S100_STORE_FORMAT.*format 1.*format 2/)
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
