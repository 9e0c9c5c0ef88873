import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { STORE_FORMAT, openSqliteStore } from '../../sync-server/store/sqlite.js'
import { world } from './changeStore.contract.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-sqlite-mail-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshFile = () => join(dir, `store-${n++}.sqlite`)
const dests = (count: number) => Array.from({ length: count }, () => randomBytes(32))
const tick = () => new Promise<void>((r) => setImmediate(r))

test('[S11] a 10,000-row post is written in steps with the event loop free between them, and is readable only whole', async () => {
  const store = openSqliteStore(freshFile())
  const w = world()
  await store.registerConv(w.conv, randomBytes(32), 0)
  const to = dests(10_000)
  const body = randomBytes(300)
  let done = false
  const posting = store.postMail(to, [body], 1000).then((r) => ((done = true), r))
  // While it is being written: other work goes ahead (an append commits), and no recipient sees the item.
  let sawPartial = false
  for (let i = 0; i < 10 && !done; i++) {
    await tick()
    const [first, last] = [await store.readMail(to[0]!, 10), await store.readMail(to[9_999]!, 10)]
    if (first.length || last.length) sawPartial = true
  }
  const [envelope] = w.chain(w.alice, 1)
  expect(await store.append([envelope!])).toEqual([{ ok: true, sseq: 1, duplicate: false }])
  expect(done).toBe(false)
  expect(sawPartial).toBe(false)
  const posted = await posting
  expect(posted?.ids).toHaveLength(10_000)
  expect((await store.readMail(to[0]!, 10)).map((m) => new Uint8Array(m.body))).toEqual([body])
  expect(await store.readMail(to[9_999]!, 10)).toHaveLength(1)
  expect(await store.mailBodies()).toBe(1)
  await store.close()
})

test('[S11] a large post cut off half-way (the process stopped) leaves nothing: its rows and body go when the store opens', async () => {
  const file = freshFile()
  const store = openSqliteStore(file)
  const kept = randomBytes(32)
  await store.postMail([kept], [randomBytes(10)], 1000)
  await store.close()
  // What a stop between two steps leaves: a body not made ready, and some of its rows.
  const db = new Database(file)
  const body = Number(db.prepare('INSERT INTO mail_body (body, refs, fanout, ready) VALUES (?, 3, 3, 0)').run(randomBytes(10)).lastInsertRowid)
  const half = dests(2)
  for (const d of half) db.prepare('INSERT INTO mail (dest, body_id, expires) VALUES (?, ?, 99999)').run(d, body)
  db.close()
  const again = openSqliteStore(file)
  for (const d of half) expect(await again.readMail(d, 10)).toEqual([])
  expect(await again.mailBodies()).toBe(1)
  expect(await again.readMail(kept, 10)).toHaveLength(1)
  await again.close()
  const check = new Database(file, { readonly: true })
  expect(check.prepare('SELECT count(*) AS n FROM mail').get()).toEqual({ n: 1 })
  check.close()
})

test('[S13] a format-5 file (no ready mark) opens as format 6: every body in it is readable', async () => {
  const file = freshFile()
  const store = openSqliteStore(file)
  const mailbox = randomBytes(32)
  const body = randomBytes(50)
  await store.postMail([mailbox], [body], 1000)
  await store.close()
  const db = new Database(file)
  db.exec('ALTER TABLE mail_body DROP COLUMN ready')
  db.pragma('user_version = 5')
  db.close()
  const again = openSqliteStore(file)
  expect((await again.readMail(mailbox, 10)).map((m) => new Uint8Array(m.body))).toEqual([body])
  await again.close()
  const check = new Database(file, { readonly: true })
  expect(check.pragma('user_version', { simple: true })).toBe(STORE_FORMAT)
  check.close()
})

test('[S11] a large post over a full mailbox stores nothing for anyone', async () => {
  const store = openSqliteStore(freshFile())
  const to = dests(3_000)
  for (let i = 0; i < 2; i++) await store.postMail([to[2_500]!], [randomBytes(5)], 2)
  expect(await store.postMail(to, [randomBytes(5)], 2)).toBeUndefined()
  expect(await store.readMail(to[0]!, 10)).toEqual([])
  expect(await store.mailBodies()).toBe(2)
  await store.close()
})
