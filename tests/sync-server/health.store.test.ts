import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { openSqliteStore } from '../../sync-server/store/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-health-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const sqliteFile = () => join(dir, `store-${++files}.sqlite`)

const stores: [string, () => ChangeStore][] = [
  ['memory', () => openMemoryStore()],
  ['sqlite', () => openSqliteStore(sqliteFile())],
]

describe.each(stores)('%s store', (_name, open) => {
  test('[S7] checkWritable resolves while the store is open and rejects once it is closed', async () => {
    const store = open()
    await expect(store.checkWritable()).resolves.toBeUndefined()
    await store.close()
    await expect(store.checkWritable()).rejects.toThrow()
  })

  test('[S19] mailDepth counts the rows waiting, decoys included, and follows reads', async () => {
    const store = open()
    expect(await store.mailDepth()).toBe(0)
    const [bob, carol] = [randomBytes(32), randomBytes(32)]
    const decoys = [randomBytes(32), randomBytes(32), randomBytes(32)]
    const posted = await store.postMail([bob, carol], [randomBytes(40), randomBytes(40)], 1000, undefined, decoys)
    // 2 items × (2 recipients + 3 decoys): the server cannot tell decoy rows from real ones.
    expect(await store.mailDepth()).toBe(10)
    await store.deleteMail(bob, posted!.ids[0]!)
    expect(await store.mailDepth()).toBe(8)
    await store.close()
  })
})

describe('SQLite checkWritable', () => {
  test('[S7] the check is a real commit: the WAL takes a frame, and the file keeps its format', async () => {
    const file = sqliteFile()
    const store = openSqliteStore(file)
    const before = statSync(`${file}-wal`).size
    await store.checkWritable()
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(before)
    await store.close()
    const db = new Database(file, { readonly: true })
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((t) => t.name)
    db.close()
    // Nothing about users is added: no table of its own.
    expect(tables).not.toContain('health')
    // The format number written again is the one the store opens.
    await openSqliteStore(file).close()
  })

  test('[S7] rejects while another process holds the write lock, resolves once it lets go', async () => {
    const file = sqliteFile()
    const store = openSqliteStore(file)
    const other = new Database(file)
    other.exec('BEGIN IMMEDIATE')
    await expect(store.checkWritable()).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
    other.exec('ROLLBACK')
    other.close()
    await expect(store.checkWritable()).resolves.toBeUndefined()
    await store.close()
  })
})
