import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { RecoveryLimits } from '../../sync-server/limits.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { openMemoryRecoveryStore } from '../../sync-server/store/memoryRecovery.js'
import type { RecoveryBlobStore } from '../../sync-server/store/RecoveryBlobStore.js'
import { captureLogs } from './harness.js'
import { rawExchange, recoveryRequest } from './recoveryHttp.js'

/**
 * The recovery endpoints over real HTTP on loopback ([S14]–[S18]). Personas: alice and bob keep
 * recovery blobs; eve knows alice's address (she saw it on the wire) but not her write secret.
 */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const persona = () => ({ addr: hex(randomBytes(32)), write: hex(randomBytes(32)) })
const path = (p: { addr: string }) => `/recovery/${p.addr}`
/** Byte equality without vitest's element-by-element diff (slow on 4 MiB). */
const same = (a: Uint8Array | Buffer, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
const unlimited: Partial<RecoveryLimits> = { requestsPerMinute: 1e9, burstRequests: 1e9 }

async function start(recoveryLimits: Partial<RecoveryLimits>, recovery: RecoveryBlobStore = openMemoryRecoveryStore()) {
  const { log, lines } = captureLogs()
  const server = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), recovery, log, recoveryLimits })
  return { server, recovery, logs: lines }
}

describe('[S14] GET, PUT and DELETE /recovery/<addr>', () => {
  let s: Awaited<ReturnType<typeof start>>
  let url: string
  const secrets: string[] = []
  const known = () => {
    const p = persona()
    secrets.push(p.addr, p.write)
    return p
  }
  beforeAll(async () => {
    s = await start(unlimited)
    url = s.server.url
  })
  afterAll(() => s.server.close())

  test('[S15] R409_GONE: a refresh (x-fieldchat-replace: 1) at an address that holds no blob — deleted when a restore spent its key — is refused and recreates nothing', async () => {
    const alice = known()
    expect((await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4096), headers: { 'x-fieldchat-replace': '1' } })).status).toBe(409)
    expect((await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4096) })).status).toBe(201)
    expect((await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4096), headers: { 'x-fieldchat-replace': '1' } })).status).toBe(204)
    expect((await recoveryRequest(url, 'DELETE', path(alice), { write: alice.write })).status).toBe(204)
    const refresh = await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4096), headers: { 'x-fieldchat-replace': '1' } })
    expect(refresh.status).toBe(409)
    expect(JSON.parse(Buffer.from(refresh.body).toString()).error.code).toBe('R409_GONE')
    expect((await recoveryRequest(url, 'GET', path(alice))).status).toBe(404)
  })

  test('[S14] a PUT stores the blob (201), a GET returns exactly its bytes, never cached; a second PUT replaces it (204)', async () => {
    const alice = known()
    const blob = randomBytes(8192)
    const put = await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: blob })
    expect(put.status).toBe(201)
    expect(put.headers['cache-control']).toBe('no-store')
    const got = await recoveryRequest(url, 'GET', path(alice))
    expect(got.status).toBe(200)
    expect(got.headers['content-type']).toBe('application/octet-stream')
    expect(got.headers['cache-control']).toBe('no-store')
    expect(got.headers['x-content-type-options']).toBe('nosniff')
    expect(same(got.body, blob)).toBe(true)
    const newer = randomBytes(4096)
    expect((await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: newer })).status).toBe(204)
    expect(same((await recoveryRequest(url, 'GET', path(alice))).body, newer)).toBe(true)
    // fetch, as the browser will call it
    const fetched = await fetch(`${url}${path(alice)}`)
    expect(same(new Uint8Array(await fetched.arrayBuffer()), newer)).toBe(true)
  })

  test('[S14] R404_NOT_FOUND: a GET of an address with no blob is a coded JSON 404, never cached', async () => {
    const got = await recoveryRequest(url, 'GET', path(known()))
    expect(got.status).toBe(404)
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(got.body.toString())).toEqual({ error: { code: 'R404_NOT_FOUND', message: expect.any(String) } })
  })

  test('[S14] R400_BAD_ADDRESS: anything but 64 lowercase hex characters, path traversal included, is refused and stores nothing', async () => {
    const alice = known()
    const bad = [
      '/recovery', '/recovery/', `/recovery/${alice.addr.toUpperCase()}`, `/recovery/${alice.addr.slice(1)}`, `/recovery/${alice.addr}0`,
      `/recovery/${'g'.repeat(64)}`, `/recovery/${alice.addr}/`, `/recovery/${alice.addr}?v=1`, `/recovery//${alice.addr}`,
      `/recovery/./${alice.addr}`, `/recovery/../recovery/${alice.addr}`, '/recovery/../healthz', '/recovery/..%2f..%2fetc%2fpasswd',
      `/recovery/%2e%2e/${alice.addr}`, `/recovery/${alice.addr.slice(0, 62)}%61%61`, `/recovery/${alice.addr.slice(0, 63)}%C3%A9`,
    ]
    for (const p of bad) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const answer = await recoveryRequest(url, method, p, { write: alice.write, body: method === 'PUT' ? randomBytes(4096) : undefined })
        expect([p, method, answer.status, answer.code]).toEqual([p, method, 400, 'R400_BAD_ADDRESS'])
      }
    }
    expect(await s.recovery.usage()).toMatchObject({ blobs: 1 }) // the one blob of the round-trip test
  })

  test('[S15] R403_WRONG_WRITE_SECRET: eve\'s PUT and DELETE with another write secret are refused and alice\'s blob is unchanged', async () => {
    const alice = known()
    const eve = { addr: alice.addr, write: known().write }
    const blob = randomBytes(4096)
    await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: blob })
    const put = await recoveryRequest(url, 'PUT', path(alice), { write: eve.write, body: randomBytes(4096) })
    expect([put.status, put.code]).toEqual([403, 'R403_WRONG_WRITE_SECRET'])
    const del = await recoveryRequest(url, 'DELETE', path(alice), { write: eve.write })
    expect([del.status, del.code]).toEqual([403, 'R403_WRONG_WRITE_SECRET'])
    expect(same((await recoveryRequest(url, 'GET', path(alice))).body, blob)).toBe(true)
  })

  test('[S15] R400_BAD_WRITE_SECRET: a PUT or DELETE without a write secret of 64 lowercase hex characters', async () => {
    const alice = known()
    for (const write of [undefined, alice.write.slice(1), alice.write.toUpperCase(), `${alice.write}00`, 'z'.repeat(64)]) {
      for (const method of ['PUT', 'DELETE']) {
        const answer = await recoveryRequest(url, method, path(alice), { ...(write ? { write } : {}), body: method === 'PUT' ? randomBytes(4096) : undefined })
        expect([method, write, answer.status, answer.code]).toEqual([method, write, 400, 'R400_BAD_WRITE_SECRET'])
      }
    }
    expect((await recoveryRequest(url, 'GET', path(alice))).status).toBe(404)
  })

  test('[S14] DELETE with the write secret removes the blob (204); then GET and DELETE are 404; a new recovery key may claim the address', async () => {
    const alice = known()
    await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4096) })
    expect((await recoveryRequest(url, 'DELETE', path(alice), { write: alice.write })).status).toBe(204)
    expect((await recoveryRequest(url, 'GET', path(alice))).code).toBe('R404_NOT_FOUND')
    expect((await recoveryRequest(url, 'DELETE', path(alice), { write: alice.write })).code).toBe('R404_NOT_FOUND')
    expect((await recoveryRequest(url, 'PUT', path(alice), { write: known().write, body: randomBytes(4096) })).status).toBe(201)
  })

  test('[S14] R405_METHOD: other methods are refused with an allow header', async () => {
    const alice = known()
    for (const method of ['POST', 'PATCH', 'HEAD', 'OPTIONS']) {
      const answer = await recoveryRequest(url, method, path(alice), { write: alice.write })
      expect([method, answer.status, answer.headers.allow]).toEqual([method, 405, 'GET, PUT, DELETE'])
    }
  })

  test('[S16] R400_BAD_SIZE and R413_TOO_LARGE: 0, 4095, 4097, 6000 bytes are 400; 8 MiB is 413; the server answers others throughout', async () => {
    const alice = known()
    const bob = known()
    const blob = randomBytes(4096)
    await recoveryRequest(url, 'PUT', path(bob), { write: bob.write, body: blob })
    for (const size of [0, 4095, 4097, 6000, 3 * 1024 * 1024]) {
      const answer = await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(size) })
      expect([size, answer.status, answer.code]).toEqual([size, 400, 'R400_BAD_SIZE'])
      expect(same((await recoveryRequest(url, 'GET', path(bob))).body, blob)).toBe(true)
    }
    const huge = await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(8 * 1024 * 1024) })
    expect([huge.status, huge.code, huge.headers.connection]).toEqual([413, 'R413_TOO_LARGE', 'close'])
    expect(same((await recoveryRequest(url, 'GET', path(bob))).body, blob)).toBe(true)
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect((await recoveryRequest(url, 'GET', path(alice))).status).toBe(404)
  })

  test('[S16] a chunked body (no declared length) is judged as it arrives: beyond 4 MiB is 413, a bad size 400, 4 MiB exactly is stored', async () => {
    const alice = known()
    const chunked = { 'transfer-encoding': 'chunked' }
    const over = await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4 * 1024 * 1024 + 4096), headers: chunked })
    expect([over.status, over.code]).toEqual([413, 'R413_TOO_LARGE'])
    const odd = await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: randomBytes(5000), headers: chunked })
    expect([odd.status, odd.code]).toEqual([400, 'R400_BAD_SIZE'])
    const max = randomBytes(4 * 1024 * 1024)
    expect((await recoveryRequest(url, 'PUT', path(alice), { write: alice.write, body: max, headers: chunked })).status).toBe(201)
    expect(same((await recoveryRequest(url, 'GET', path(alice))).body, max)).toBe(true)
  })

  test('[S18] the log has a line per request with method, status and code, and never an address or a write secret', async () => {
    expect(s.logs.some((l) => l.includes('"recovery":"PUT"') && l.includes('"status":201'))).toBe(true)
    expect(s.logs.some((l) => l.includes('R403_WRONG_WRITE_SECRET'))).toBe(true)
    const all = s.logs.join('\n').toLowerCase()
    for (const secret of secrets) expect(all.includes(secret), 'a secret or address in the log').toBe(false)
    const lines = s.logs.filter((l) => l.includes('"recovery":'))
    expect(lines.length).toBeGreaterThan(50)
    for (const line of lines) expect(Object.keys(JSON.parse(line) as object).sort()).toEqual(expect.arrayContaining(['msg', 'recovery', 'status']))
    for (const line of lines) expect(Object.keys(JSON.parse(line) as object).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg', 'recovery', 'status', 'code'].includes(k))).toEqual([])
  })
})

describe('[S16] slow bodies and upload slots', () => {
  let s: Awaited<ReturnType<typeof start>>
  beforeAll(async () => {
    s = await start({ ...unlimited, bodyIdleTimeoutMs: 300, bodyTimeoutMs: 5000, maxConcurrentUploads: 1 })
  })
  afterAll(() => s.server.close())

  const slowHead = (p: { addr: string; write: string }) =>
    `PUT ${path(p)} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-fieldchat-write: ${p.write}\r\ncontent-length: 4096\r\n\r\nabc`

  test('[S16] R408_BODY_TIMEOUT: headers and a few bytes, then nothing: answered 408 and closed after the idle time', async () => {
    const alice = persona()
    const answer = await rawExchange(s.server.port, slowHead(alice))
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer.text).toContain('R408_BODY_TIMEOUT')
    expect(answer.closed).toBe(true)
    expect(answer.ms).toBeGreaterThanOrEqual(250)
    expect(answer.ms).toBeLessThan(3000)
    expect((await recoveryRequest(s.server.url, 'GET', path(alice))).status).toBe(404)
  })

  test('[S16] R503_BUSY: while every upload slot is taken by a slow body, another PUT is refused at once; afterwards PUTs work', async () => {
    const [alice, bob] = [persona(), persona()]
    const slow = rawExchange(s.server.port, slowHead(alice))
    await new Promise((r) => setTimeout(r, 100))
    const busy = await recoveryRequest(s.server.url, 'PUT', path(bob), { write: bob.write, body: randomBytes(4096) })
    expect([busy.status, busy.code, busy.headers['retry-after']]).toEqual([503, 'R503_BUSY', '1'])
    expect((await recoveryRequest(s.server.url, 'GET', path(bob))).status).toBe(404)
    expect((await slow).text).toMatch(/^HTTP\/1\.1 408 /)
    expect((await recoveryRequest(s.server.url, 'PUT', path(bob), { write: bob.write, body: randomBytes(4096) })).status).toBe(201)
  })
})

describe('[S17] rate limit and capacity', () => {
  test('[S17] R429_RATE_LIMITED: beyond the burst, GET and PUT alike get 429 with retry-after, and nothing is stored', async () => {
    const s = await start({ requestsPerMinute: 6, burstRequests: 3 })
    const alice = persona()
    expect((await recoveryRequest(s.server.url, 'GET', path(alice))).status).toBe(404)
    expect((await recoveryRequest(s.server.url, 'GET', path(persona()))).status).toBe(404)
    expect((await recoveryRequest(s.server.url, 'GET', '/recovery/nope')).status).toBe(400)
    const put = await recoveryRequest(s.server.url, 'PUT', path(alice), { write: alice.write, body: randomBytes(4096) })
    expect([put.status, put.code, put.headers['retry-after']]).toEqual([429, 'R429_RATE_LIMITED', '10'])
    const get = await recoveryRequest(s.server.url, 'GET', path(alice))
    expect([get.status, get.code]).toEqual([429, 'R429_RATE_LIMITED'])
    expect(await s.recovery.usage()).toEqual({ blobs: 0, bytes: 0 })
    // The WebSocket side and /healthz are not limited by it.
    expect((await fetch(`${s.server.url}/healthz`)).status).toBe(200)
    await s.server.close()
  })

  test('[S17] R507_FULL: a new address beyond maxBlobs is refused; replacing a stored blob still works', async () => {
    const s = await start({ ...unlimited, maxBlobs: 2 })
    const [alice, bob, carol] = [persona(), persona(), persona()]
    for (const p of [alice, bob]) expect((await recoveryRequest(s.server.url, 'PUT', path(p), { write: p.write, body: randomBytes(4096) })).status).toBe(201)
    const full = await recoveryRequest(s.server.url, 'PUT', path(carol), { write: carol.write, body: randomBytes(4096) })
    expect([full.status, full.code]).toEqual([507, 'R507_FULL'])
    expect((await recoveryRequest(s.server.url, 'PUT', path(alice), { write: alice.write, body: randomBytes(8192) })).status).toBe(204)
    expect((await recoveryRequest(s.server.url, 'DELETE', path(bob), { write: bob.write })).status).toBe(204)
    expect((await recoveryRequest(s.server.url, 'PUT', path(carol), { write: carol.write, body: randomBytes(4096) })).status).toBe(201)
    await s.server.close()
  })
})
