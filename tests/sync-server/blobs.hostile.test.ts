import { mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { randomBytes, toHex } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdBytes, blobIdOf, blobPaths, type BlobId } from '../../protocol/index.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { blobCall, LiveRoom, rawSocket, signedHeaders } from './blobHttp.js'
import { captureLogs } from './harness.js'

/**
 * Uploads cut, lied about, dribbled and stalled, and a disk that refuses writes ([B5], [B12]),
 * against the real HTTP server on the default disk store. Alice uploads; mallory's connection
 * misbehaves with alice's capability (a member's buggy or hostile device).
 */
const C = BLOB_CHUNK_BYTES
const IDLE_MS = 3_000
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-blobs-hostile-'))
let server: RunningServer
let url: string
let port: number
let alice: LiveRoom
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))
const randomChunks = (n: number) => Array.from({ length: n }, () => randomBytes(C))

beforeAll(async () => {
  server = await startSyncServer({
    port: 0, host: '127.0.0.1', dataDir: dir, log: captureLogs().log,
    blobLimits: { requestsPerMinute: 1e9, burstRequests: 1e9, bodyIdleTimeoutMs: IDLE_MS, maxConcurrentUploads: 1 },
  })
  url = server.url
  port = server.port
  alice = await LiveRoom.open(`${url.replace('http', 'ws')}/sync`)
})
afterAll(async () => {
  alice.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

async function created(chunks: number): Promise<BlobId> {
  const id = blobIdOf(randomBytes(16))
  expect((await blobCall(url, alice, 'POST', blobPaths.create(id, chunks))).status).toBe(201)
  return id
}
const status = async (id: BlobId) => (await blobCall(url, alice, 'GET', blobPaths.status(id))).json

/** A PUT's head as a raw client sends it, signed by alice, declaring `length` body bytes. */
async function putHead(id: BlobId, start: number, length: number): Promise<string> {
  const target = blobPaths.put(id, start)
  const { authorization } = await signedHeaders(alice, 'PUT', target)
  return `PUT ${target} HTTP/1.1\r\nhost: fieldchat\r\nauthorization: ${authorization}\r\ncontent-length: ${length}\r\n\r\n`
}

/** The status and JSON body of the one answer a raw client received. */
function answerOf(text: string): { status: number; json: Record<string, unknown> } {
  const [head, body] = text.split('\r\n\r\n')
  return { status: Number(head!.split(' ')[1]), json: JSON.parse(body!) as Record<string, unknown> }
}

describe('[B5] cut and stalled bodies keep whole chunks only', () => {
  test('[B5] a socket destroyed in the middle of a body: the status shows only the whole chunks received; the upload resumes from there and matches', async () => {
    const chunks = randomChunks(6)
    const id = await created(6)
    const raw = rawSocket(port)
    raw.socket.write(await putHead(id, 0, 6 * C))
    // Two and a half chunks reach the server, then the connection is gone.
    raw.socket.write(Buffer.concat(chunks.slice(0, 3)).subarray(0, 2.5 * C), () => raw.socket.destroy())
    await raw.closed
    await vi.waitFor(async () => expect(await status(id)).toEqual({ chunks: 6, stored: 2, complete: false }), { timeout: 10_000, interval: 50 })
    const resumed = await blobCall(url, alice, 'PUT', blobPaths.put(id, 2), { body: Buffer.concat(chunks.slice(2)) })
    expect(resumed.json).toEqual({ chunks: 6, stored: 6, complete: true })
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(id))).body, Buffer.concat(chunks))).toBe(true)
  })

  test('[B5] a body whose content-length lies (bytes trickle, then stop) is cut with 408 B408_BODY_TIMEOUT and its whole chunks; meanwhile the server answers others, and a second upload waits its turn (503 B503_BUSY)', async () => {
    const chunks = randomChunks(3)
    const id = await created(3)
    const other = await created(1)
    const raw = rawSocket(port)
    raw.socket.write(await putHead(id, 0, 3 * C))
    // A chunk and a half, dribbled in 12 pieces, then nothing more of the 3 chunks declared.
    const sent = Buffer.concat(chunks.slice(0, 2)).subarray(0, 1.5 * C)
    const piece = Math.ceil(sent.length / 12)
    for (let at = 0; at < sent.length; at += piece) {
      raw.socket.write(sent.subarray(at, at + piece))
      await new Promise((r) => setTimeout(r, 40))
    }
    // The stalled upload holds the only upload slot; everything else is still served.
    expect((await blobCall(url, alice, 'GET', blobPaths.status(other))).status).toBe(200)
    const busy = await blobCall(url, alice, 'PUT', blobPaths.put(other, 0), { body: randomBytes(C) })
    expect([busy.status, busy.json?.code, busy.headers['retry-after']]).toEqual([503, 'B503_BUSY', '1'])
    await raw.closed
    expect(answerOf(raw.received())).toEqual({ status: 408, json: { code: 'B408_BODY_TIMEOUT', message: expect.any(String), stored: 1 } })
    expect(await status(id)).toEqual({ chunks: 3, stored: 1, complete: false })
    expect((await blobCall(url, alice, 'PUT', blobPaths.put(other, 0), { body: randomBytes(C) })).status).toBe(200)
    expect((await blobCall(url, alice, 'PUT', blobPaths.put(id, 1), { body: Buffer.concat(chunks.slice(1)) })).json).toEqual({ chunks: 3, stored: 3, complete: true })
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(id))).body, Buffer.concat(chunks))).toBe(true)
  })

  test('[B5] a PUT refused before its body (out of order) is answered at once and its connection closed without reading the body', async () => {
    const id = await created(4)
    const raw = rawSocket(port)
    raw.socket.write(await putHead(id, 2, 2 * C))
    raw.socket.write(randomBytes(100))
    await raw.closed
    expect(answerOf(raw.received())).toEqual({ status: 409, json: { code: 'B409_OUT_OF_ORDER', message: expect.any(String), stored: 0 } })
    expect(raw.received()).toMatch(/\r\nconnection: close\r\n/i)
  })
})

describe('[B12] a full disk', () => {
  test('[B12] a write the disk refuses (a real ENOSPC from /dev/full) is 507 B507_STORAGE_FULL with the chunks stored before; other blobs stay intact; the upload resumes when there is room', async () => {
    const kept = randomChunks(2)
    const keptId = await created(2)
    await blobCall(url, alice, 'PUT', blobPaths.put(keptId, 0), { body: Buffer.concat(kept) })
    const chunks = randomChunks(4)
    const id = await created(4)
    await blobCall(url, alice, 'PUT', blobPaths.put(id, 0), { body: Buffer.concat(chunks.slice(0, 2)) })
    const hex = toHex(blobIdBytes(id))
    const file = join(dir, 'blobs', hex.slice(0, 2), hex)
    renameSync(file, `${file}.aside`)
    symlinkSync('/dev/full', file)
    const full = await blobCall(url, alice, 'PUT', blobPaths.put(id, 2), { body: Buffer.concat(chunks.slice(2)) })
    expect([full.status, full.json?.code, full.json?.stored]).toEqual([507, 'B507_STORAGE_FULL', 2])
    expect(await status(id)).toEqual({ chunks: 4, stored: 2, complete: false })
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(keptId))).body, Buffer.concat(kept))).toBe(true)
    unlinkSync(file)
    renameSync(`${file}.aside`, file)
    expect((await blobCall(url, alice, 'PUT', blobPaths.put(id, 2), { body: Buffer.concat(chunks.slice(2)) })).json).toEqual({ chunks: 4, stored: 4, complete: true })
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(id))).body, Buffer.concat(chunks))).toBe(true)
  })
})

describe('[B7] downloads cut or stalled by the reader', () => {
  test('[B7] downloads cut after a few KiB, or never read and then cut, leave no file open on the server; the next download is whole', async () => {
    const chunks = randomChunks(64)
    const id = await created(64)
    expect((await blobCall(url, alice, 'PUT', blobPaths.put(id, 0), { body: Buffer.concat(chunks) })).json).toMatchObject({ stored: 64 })
    const openFiles = () => readdirSync('/proc/self/fd').length
    const before = openFiles()
    const getHead = async () => {
      const target = blobPaths.data(id)
      const { authorization } = await signedHeaders(alice, 'GET', target)
      return `GET ${target} HTTP/1.1\r\nhost: fieldchat\r\nauthorization: ${authorization}\r\n\r\n`
    }
    for (let i = 0; i < 4; i++) {
      const raw = rawSocket(port)
      raw.socket.write(await getHead())
      await vi.waitFor(() => expect(raw.received().length).toBeGreaterThan(4096), { timeout: 10_000, interval: 10 })
      raw.socket.destroy()
      await raw.closed
    }
    // A reader that takes nothing: the server waits on the socket (no reads run ahead), then it is cut.
    const stalled = rawSocket(port)
    stalled.socket.pause()
    stalled.socket.write(await getHead())
    await new Promise((r) => setTimeout(r, 500))
    stalled.socket.destroy()
    await stalled.closed
    await vi.waitFor(() => expect(openFiles()).toBeLessThanOrEqual(before), { timeout: 10_000, interval: 50 })
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(id))).body, Buffer.concat(chunks))).toBe(true)
  })
})
