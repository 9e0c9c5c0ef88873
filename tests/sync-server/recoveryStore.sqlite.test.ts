import Database from 'better-sqlite3'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { openSqliteStore } from '../../sync-server/store/sqlite.js'
import { recoveryPersona, recoveryStoreContract, roomy } from './recoveryStore.contract.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-recovery-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshFile = () => join(dir, `store-${n++}.sqlite`)

recoveryStoreContract('sqlite', () => {
  const sqlite = openSqliteStore(freshFile())
  return { store: sqlite.recovery, close: () => sqlite.close() }
})

describe('RecoveryBlobStore sqlite file', () => {
  test('[S15] invariant 3: blobs, their bound write hashes and the usage totals survive close and reopen', async () => {
    const file = freshFile()
    const [alice, bob, eve] = ['alice', 'bob', 'eve'].map(recoveryPersona)
    const blob = alice!.blob(8192)
    const first = openSqliteStore(file)
    await first.recovery.put(alice!.addr, alice!.writeHash, blob, roomy)
    await first.recovery.put(bob!.addr, bob!.writeHash, bob!.blob(), roomy)
    await first.close()

    const second = openSqliteStore(file)
    expect(new Uint8Array((await second.recovery.get(alice!.addr))!)).toEqual(blob)
    expect(await second.recovery.usage()).toEqual({ blobs: 2, bytes: 8192 + 4096 })
    expect(await second.recovery.put(alice!.addr, eve!.writeHash, eve!.blob(), roomy)).toBe('wrong-write-secret')
    expect(await second.recovery.put(alice!.addr, alice!.writeHash, alice!.blob(), roomy)).toBe('replaced')
    await second.close()
  })

  test('[S18] a stolen copy: the table holds addr, write_hash and data only; data is the bytes put, the hash is SHA-256 of a secret never stored', async () => {
    const file = freshFile()
    const people = ['alice', 'bob', 'carol'].map(recoveryPersona)
    const sqlite = openSqliteStore(file)
    const put = new Map<string, Uint8Array>()
    for (const p of people) {
      const blob = p.blob(4096 << people.indexOf(p))
      put.set(Buffer.from(p.addr).toString('hex'), blob)
      await sqlite.recovery.put(p.addr, p.writeHash, blob, roomy)
    }
    await sqlite.close()

    const db = new Database(file, { readonly: true })
    const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('recovery_blobs')").all().map((c) => c.name)
    expect(columns).toEqual(['addr', 'write_hash', 'data'])
    const rows = db.prepare<[], { addr: Uint8Array; write_hash: Uint8Array; data: Uint8Array }>('SELECT * FROM recovery_blobs').all()
    db.close()
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      const who = people.find((p) => Buffer.from(p.addr).equals(row.addr))!
      expect(new Uint8Array(row.data)).toEqual(put.get(Buffer.from(row.addr).toString('hex')))
      expect(new Uint8Array(row.write_hash)).toEqual(who.writeHash)
    }
    const files = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f))
    for (const p of people) for (const bytes of files) expect(bytes.includes(Buffer.from(p.write))).toBe(false)
  })

  test('[S18] a replaced or deleted blob leaves the database file and its -wal at once', async () => {
    const file = freshFile()
    const [alice, bob] = ['alice', 'bob'].map(recoveryPersona)
    const sqlite = openSqliteStore(file)
    const old = alice!.blob()
    const retired = bob!.blob()
    await sqlite.recovery.put(alice!.addr, alice!.writeHash, old, roomy)
    await sqlite.recovery.put(bob!.addr, bob!.writeHash, retired, roomy)
    await sqlite.recovery.put(alice!.addr, alice!.writeHash, alice!.blob(), roomy)
    await sqlite.recovery.delete(bob!.addr, bob!.writeHash)
    for (const f of [file, `${file}-wal`]) {
      const bytes = existsSync(f) ? readFileSync(f) : Buffer.alloc(0)
      expect(bytes.includes(Buffer.from(old.subarray(100, 164))), `${f}: replaced blob`).toBe(false)
      expect(bytes.includes(Buffer.from(retired.subarray(100, 164))), `${f}: deleted blob`).toBe(false)
    }
    await sqlite.close()
  })
})
