import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { existsSync, statSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { startServerProcess, type ServerProcess } from '../integration/helpers/serverProcess.js'
import { recoveryRequest } from './recoveryHttp.js'

/**
 * The recovery endpoints of the real server process (`sync-server/main.ts`, SQLite in its data
 * folder), across a restart, and what a copy of that folder shows ([S18]). Personas: alice, bob
 * and carol keep recovery blobs; dave comes when the server is full.
 */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const persona = (name: string) => ({ name, addr: hex(randomBytes(32)), write: hex(randomBytes(32)) })
const people = ['alice', 'bob', 'carol', 'dave'].map(persona)
const [alice, bob, carol, dave] = people as [ReturnType<typeof persona>, ReturnType<typeof persona>, ReturnType<typeof persona>, ReturnType<typeof persona>]
const blobs = new Map<string, Uint8Array>()
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))
let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess({ env: { RECOVERY_MAX_BLOBS: '3' } })
})
afterAll(() => server.kill())

const put = (p: ReturnType<typeof persona>, size: number) => {
  const blob = randomBytes(size)
  blobs.set(p.name, blob)
  return recoveryRequest(server.httpUrl, 'PUT', `/recovery/${p.addr}`, { write: p.write, body: blob })
}

test('[S15] blobs PUT to the real server survive a restart; RECOVERY_MAX_BLOBS caps the store ([S17] R507_FULL)', async () => {
  expect((await put(alice, 4096)).status).toBe(201)
  expect((await put(bob, 16384)).status).toBe(201)
  expect((await put(carol, 65536)).status).toBe(201)
  const full = await put(dave, 4096)
  expect([full.status, full.code]).toEqual([507, 'R507_FULL'])
  const old = blobs.get('alice')!
  expect((await put(alice, 8192)).status).toBe(204)
  expect((await recoveryRequest(server.httpUrl, 'DELETE', `/recovery/${carol.addr}`, { write: carol.write })).status).toBe(204)

  await server.kill()
  await server.restart()
  const got = await recoveryRequest(server.httpUrl, 'GET', `/recovery/${alice.addr}`)
  expect(got.status).toBe(200)
  expect(same(got.body, blobs.get('alice')!)).toBe(true)
  expect(same(got.body, old)).toBe(false)
  expect(same((await recoveryRequest(server.httpUrl, 'GET', `/recovery/${bob.addr}`)).body, blobs.get('bob')!)).toBe(true)
  expect((await recoveryRequest(server.httpUrl, 'GET', `/recovery/${carol.addr}`)).status).toBe(404)
  // The write secret bound before the restart still rules.
  const wrong = await recoveryRequest(server.httpUrl, 'PUT', `/recovery/${bob.addr}`, { write: dave.write, body: randomBytes(4096) })
  expect([wrong.status, wrong.code]).toEqual([403, 'R403_WRONG_WRITE_SECRET'])
})

test('[S18] a stolen copy of the data folder: recovery_blobs holds addr, write_hash and data only, data exactly as PUT; no write secret, and no address in the log', async () => {
  await server.kill()
  const file = join(server.dataDir, 'sync.sqlite')
  const db = new Database(file, { readonly: true, fileMustExist: true })
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('recovery_blobs')").all().map((c) => c.name)
  const rows = db.prepare<[], { addr: Buffer; write_hash: Buffer; data: Buffer }>('SELECT addr, write_hash, data FROM recovery_blobs').all()
  db.close()
  expect(columns).toEqual(['addr', 'write_hash', 'data'])
  expect(rows.map((r) => hex(r.addr)).sort()).toEqual([alice.addr, bob.addr].sort())
  for (const row of rows) {
    const who = people.find((p) => p.addr === hex(row.addr))!
    expect(same(row.data, blobs.get(who.name)!)).toBe(true)
    expect(hex(row.write_hash)).toBe(createHash('sha256').update(Buffer.from(who.write, 'hex')).digest('hex'))
  }
  const files = (readdirSync(server.dataDir, { recursive: true }) as string[]).map((f) => join(server.dataDir, f)).filter((f) => existsSync(f) && statSync(f).isFile()).map((f) => readFileSync(f))
  for (const p of people) for (const bytes of files) expect(bytes.includes(Buffer.from(p.write, 'hex')), `${p.name}'s write secret in a file`).toBe(false)
  // carol retired her blob: its bytes are in no file.
  for (const bytes of files) expect(bytes.includes(Buffer.from(blobs.get('carol')!.subarray(0, 64)))).toBe(false)
  const log = server.output().toLowerCase()
  expect(log).toContain('recovery request')
  for (const p of people) {
    expect(log.includes(p.addr), `${p.name}'s address in the log`).toBe(false)
    expect(log.includes(p.write), `${p.name}'s write secret in the log`).toBe(false)
  }
})
