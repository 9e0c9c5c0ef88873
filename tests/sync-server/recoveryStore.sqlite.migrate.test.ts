import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { STORE_FORMAT, StoreFormatError, openSqliteStore } from '../../sync-server/store/sqlite.js'
import { recoveryPersona, roomy } from './recoveryStore.contract.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-recovery-migrate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const tables = (file: string) => {
  const db = new Database(file, { readonly: true })
  const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name)
  const version = db.pragma('user_version', { simple: true })
  db.close()
  return { names, version }
}

/**
 * A data file as format 4 left it, with mail and a conversation in it: today's layout without
 * the recovery table (format 5 only added that table), recorded as format 4.
 */
async function format4File(file: string) {
  const store = openSqliteStore(file)
  const conv = randomBytes(16)
  const cap = randomBytes(32)
  await store.registerConv(conv, cap, 3)
  const mailbox = randomBytes(32)
  const body = randomBytes(500)
  await store.postMail([mailbox], [body], 1000)
  await store.close()
  const db = new Database(file)
  db.exec('DROP TABLE recovery_blobs; ALTER TABLE mail_body DROP COLUMN ready')
  db.pragma('user_version = 4')
  db.close()
  return { conv, cap, mailbox, body }
}

test('[S13] store format 7 is the format-4 layout plus the recovery_blobs table (5), the mail bodies\' ready mark (6) and the keep-until tables (7, [S56])', () => {
  expect(STORE_FORMAT).toBe(7)
})

test('[S13] a format-4 file opens: its data is kept, the recovery table is added and the file records format 7', async () => {
  const file = join(dir, 'format4.sqlite')
  const old = await format4File(file)
  expect(tables(file)).toMatchObject({ version: 4 })
  expect(tables(file).names).not.toContain('recovery_blobs')

  const store = openSqliteStore(file)
  expect(await store.getConv(old.conv)).toMatchObject({ epoch: 3 })
  expect((await store.readMail(old.mailbox, 10)).map((m) => new Uint8Array(m.body))).toEqual([old.body])
  const alice = recoveryPersona('alice')
  const blob = alice.blob()
  expect(await store.recovery.put(alice.addr, alice.writeHash, blob, roomy)).toBe('created')
  await store.close()

  expect(tables(file).version).toBe(STORE_FORMAT)
  expect(tables(file).names).toContain('recovery_blobs')
  const again = openSqliteStore(file)
  expect(new Uint8Array((await again.recovery.get(alice.addr))!)).toEqual(blob)
  await again.close()
})

test('[S13] a file of format 3 is still refused with S100 and left as it was', async () => {
  const file = join(dir, 'format3.sqlite')
  await format4File(file)
  const db = new Database(file)
  db.pragma('user_version = 3')
  db.close()
  const before = readFileSync(file)
  expect(() => openSqliteStore(file)).toThrow(StoreFormatError)
  expect(() => openSqliteStore(file)).toThrow(/S100_STORE_FORMAT.*format 3.*reads format 7/)
  expect(readFileSync(file).equals(before)).toBe(true)
})
