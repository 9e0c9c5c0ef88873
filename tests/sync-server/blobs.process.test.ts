import Database from 'better-sqlite3'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { randomBytes, toHex } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdBytes, blobIdOf, blobPaths } from '../../protocol/index.js'
import { startServerProcess, type ServerProcess } from '../integration/helpers/serverProcess.js'
import { blobCall, LiveRoom, markedContent, sealedFile } from './blobHttp.js'

/**
 * [B10] The real server process (`sync-server/main.ts`, its default disk store in the data
 * folder): an upload survives a restart, the flags reach the limits, and a stolen copy of the
 * data folder and the logs show no plaintext, no file name and no id in a log line.
 * Persona: alice sends a photo of a damaged pump, named so that the name can be searched for.
 */
const C = BLOB_CHUNK_BYTES
const MARKER = 'FIELDCHAT-PLAINTEXT-MARKER pump 7 cracked housing '
const NAME = 'pump-7-damage-confidential.jpg'
const content = markedContent(MARKER, 1_500_000)
let server: ServerProcess
let alice: LiveRoom
let file: Awaited<ReturnType<typeof sealedFile>>

beforeAll(async () => {
  server = await startServerProcess({ env: { BLOB_SPACE_QUOTA_MB: '3' } })
  alice = await LiveRoom.open(server.url)
  file = await sealedFile(content)
})
afterAll(async () => {
  alice.close()
  await server.kill()
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile())
}

test('[B10] an upload to the real process survives a restart byte for byte; BLOB_SPACE_QUOTA_MB sets the quota (B413_QUOTA)', async () => {
  expect(file.chunks).toHaveLength(24) // 23 sealed chunks, padded to 24 ([B2])
  expect((await blobCall(server.httpUrl, alice, 'POST', blobPaths.create(file.id, 24))).status).toBe(201)
  for (const start of [0, 8, 16]) {
    expect((await blobCall(server.httpUrl, alice, 'PUT', blobPaths.put(file.id, start), { body: file.bytes.subarray(start * C, (start + 8) * C) })).status).toBe(200)
  }
  // 24 chunks are 1.5 MiB of the 3 MiB quota: 24 more do not fit.
  const over = await blobCall(server.httpUrl, alice, 'POST', blobPaths.create(blobIdOf(randomBytes(16)), 32))
  expect([over.status, over.json?.code]).toEqual([413, 'B413_QUOTA'])

  // The conversation and its capability are stored: after a restart the same holder still signs.
  const holder = alice.holder
  alice.close()
  await server.kill()
  await server.restart()
  const got = await blobCall(server.httpUrl, holder, 'GET', blobPaths.data(file.id))
  expect(got.status).toBe(200)
  expect(got.body.equals(file.bytes)).toBe(true)
  expect((await blobCall(server.httpUrl, holder, 'GET', blobPaths.status(file.id))).json).toEqual({ chunks: 24, stored: 24, complete: true })
})

test('[B10] a stolen copy of the data folder: one file of the padded size holding exactly the sealed bytes, blobs.sqlite with its seven columns; no plaintext, no file name; no id in the logs', async () => {
  await server.kill()
  const hex = toHex(blobIdBytes(file.id))
  const blobFile = join(server.dataDir, 'blobs', hex.slice(0, 2), hex)
  expect(readFileSync(blobFile).equals(file.bytes)).toBe(true)
  const db = new Database(join(server.dataDir, 'blobs.sqlite'), { readonly: true, fileMustExist: true })
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('blobs')").all().map((c) => c.name)
  const rows = db.prepare<[], { chunks: number; stored: number; day: number; deleting: number }>('SELECT chunks, stored, day, deleting FROM blobs').all()
  db.close()
  expect(columns).toEqual(['id', 'conv', 'space', 'chunks', 'stored', 'day', 'deleting'])
  expect(rows).toEqual([{ chunks: 24, stored: 24, day: expect.any(Number), deleting: 0 }])
  // Only the day of the last write (days since 1970): no time of day.
  expect(Math.abs(rows[0]!.day - Date.now() / 86_400_000)).toBeLessThan(2)
  expect(Number.isInteger(rows[0]!.day)).toBe(true)

  const plain = Buffer.from(content.subarray(70_000, 70_000 + 64))
  const name = Buffer.from(NAME)
  const files = filesUnder(server.dataDir)
  expect(files.some((f) => f.endsWith('blobs.sqlite'))).toBe(true)
  for (const f of files) {
    const bytes = readFileSync(f)
    expect(bytes.includes(plain), `plaintext in ${f}`).toBe(false)
    expect(bytes.includes(Buffer.from(MARKER)), `marker in ${f}`).toBe(false)
    expect(bytes.includes(name), `file name in ${f}`).toBe(false)
  }
  const log = server.output()
  expect(log).toContain('blob request')
  for (const secret of [file.id, hex, toHex(alice.conv), Buffer.from(alice.conv).toString('base64url'), NAME]) expect(log.includes(secret), secret).toBe(false)
})

test('[B4] a blob flag that is not a positive whole number stops the server before it starts', async () => {
  await expect(startServerProcess({ env: { BLOB_INCOMPLETE_DAYS: 'soon' } })).rejects.toThrow(/blob-incomplete-days must be a positive whole number/)
})
