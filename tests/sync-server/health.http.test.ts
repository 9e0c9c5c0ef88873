import Database from 'better-sqlite3'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { decodeServerFrame, encodeFrame } from '../../protocol/index.js'
import { OperatorEndpoints } from '../../sync-server/metrics/endpoints.js'
import { ServerMetrics } from '../../sync-server/metrics/serverMetrics.js'
import { StoreProbe } from '../../sync-server/metrics/storeProbe.js'
import { startSyncServer, SYNC_PATH } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { startServerProcess } from '../integration/helpers/serverProcess.js'
import { captureLogs } from './harness.js'

/**
 * [S7] Liveness (/healthz: is this process working, does its store take writes) and readiness
 * (/readyz: should a load balancer send connections here), against real HTTP and real stores.
 */
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-health-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let dirs = 0
const dataDir = () => join(dir, `data-${++dirs}`)

const get = async (url: string) => {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cache: res.headers.get('cache-control') }
}

describe('[S7] /healthz says whether the store is writable', () => {
  test('[S7] 200 with its counters while the SQLite store takes writes; /readyz 200 once listening', async () => {
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: dataDir(), log: captureLogs().log })
    try {
      const health = await get(`${server.url}/healthz`)
      expect(health).toMatchObject({ status: 200, cache: 'no-store' })
      expect(Object.keys(health.body).sort()).toEqual(['connections', 'envelopesIn', 'envelopesOut', 'framesRejected', 'ok', 'uptimeSeconds'])
      expect(health.body.ok).toBe(true)
      expect(await get(`${server.url}/readyz`)).toMatchObject({ status: 200, body: { ready: true }, cache: 'no-store' })
    } finally {
      await server.close()
    }
  })

  test('[S7] 503 {ok:false, store:"unwritable"} while another connection (a sqlite3 shell, a backup) holds the SQLite write lock; 200 again once it lets go', async () => {
    const data = dataDir()
    const { log, lines } = captureLogs()
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: data, log })
    const other = new Database(join(data, 'sync.sqlite'))
    try {
      other.exec('BEGIN IMMEDIATE')
      // An answer is reused for up to a second: ask until the store has been asked again.
      await vi.waitFor(async () => expect((await get(`${server.url}/healthz`)).status).toBe(503), { timeout: 5000, interval: 100 })
      const health = await get(`${server.url}/healthz`)
      expect(health.body).toMatchObject({ ok: false, store: 'unwritable', connections: 0 })
      expect(await get(`${server.url}/readyz`)).toMatchObject({ status: 503, body: { ready: false, reason: 'store' } })
      other.exec('ROLLBACK')
      await vi.waitFor(async () => expect((await get(`${server.url}/healthz`)).status).toBe(200), { timeout: 5000, interval: 100 })
      expect((await get(`${server.url}/readyz`)).status).toBe(200)
      // Logged once each way, with the store's code: never the file's path.
      const logged = lines.filter((l) => /store is (not )?writable/.test(l))
      expect(logged.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['store is not writable', 'store is writable again'])
      expect(logged[0]).toContain('SQLITE_BUSY')
      expect(lines.join('')).not.toContain(data)
    } finally {
      other.close()
      await server.close()
    }
  })

  test('[S7] a store closed under the server: /healthz and /readyz answer 503', async () => {
    const store = openMemoryStore()
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', store, log: captureLogs().log })
    try {
      await store.close()
      await vi.waitFor(async () => expect((await get(`${server.url}/healthz`)).status).toBe(503), { timeout: 5000, interval: 100 })
      expect(await get(`${server.url}/readyz`)).toMatchObject({ status: 503, body: { ready: false, reason: 'store' } })
    } finally {
      await server.close()
    }
  })

  test('[S7] concurrent health requests share one store check', async () => {
    let checks = 0
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    const store = { ...openMemoryStore(), checkWritable: () => (checks++, gate) }
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', store, log: captureLogs().log })
    try {
      const answers = Array.from({ length: 20 }, (_, i) => get(`${server.url}/${i % 2 ? 'healthz' : 'readyz'}`))
      await vi.waitFor(() => expect(checks).toBe(1))
      open()
      expect((await Promise.all(answers)).map((a) => a.status)).toEqual(Array(20).fill(200))
      expect(checks).toBe(1)
    } finally {
      await server.close()
    }
  })
})

describe('[S7] /readyz: starting, ready, draining', () => {
  test('[S7] 503 starting until the server listens, 200 when ready, 503 draining for good once it drains', async () => {
    const store = openMemoryStore()
    let deaf = false
    const operator = new OperatorEndpoints({ metrics: new ServerMetrics(), probe: new StoreProbe(store, captureLogs().log), connections: () => 0, unready: () => (deaf ? 'notices' : undefined) })
    const http: Server = createServer((req, res) => void (operator.handle(req, res) || res.writeHead(404).end()))
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()))
    const address = http.address()
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    try {
      expect(await get(`${url}/readyz`)).toMatchObject({ status: 503, body: { ready: false, reason: 'starting' } })
      operator.ready()
      expect(await get(`${url}/readyz`)).toMatchObject({ status: 200, body: { ready: true } })
      // [S21] An instance that cannot hear the others is not ready, though its store works.
      deaf = true
      expect(await get(`${url}/readyz`)).toMatchObject({ status: 503, body: { ready: false, reason: 'notices' } })
      expect((await get(`${url}/healthz`)).status).toBe(200)
      deaf = false
      expect((await get(`${url}/readyz`)).status).toBe(200)
      operator.drain()
      operator.ready()
      expect(await get(`${url}/readyz`)).toMatchObject({ status: 503, body: { ready: false, reason: 'draining' } })
      expect((await get(`${url}/healthz`)).status).toBe(200)
    } finally {
      await new Promise<void>((r) => http.close(() => r()))
    }
  })

  test('[S7] drain(): /readyz 503 at once while /healthz stays 200 and an open sync socket is still answered', async () => {
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: captureLogs().log })
    const ws = new WebSocket(server.url.replace('http', 'ws') + SYNC_PATH)
    const types: string[] = []
    ws.on('message', (data: Buffer) => {
      const decoded = decodeServerFrame(new Uint8Array(data))
      if (decoded.ok) types.push(decoded.message.type)
    })
    try {
      await vi.waitFor(() => expect(types).toContain('challenge'))
      server.drain()
      expect(await get(`${server.url}/readyz`)).toMatchObject({ status: 503, body: { ready: false, reason: 'draining' } })
      expect((await get(`${server.url}/healthz`)).status).toBe(200)
      ws.send(encodeFrame({ type: 'ping', t: 7 }))
      await vi.waitFor(() => expect(types).toContain('pong'))
    } finally {
      ws.close()
      await server.close()
    }
  })

  test('[S7] SIGTERM: the process answers /readyz 503 (draining) before it closes, then exits', async () => {
    const proc = await startServerProcess({ env: { DRAIN_SECONDS: '2' } })
    expect((await get(`${proc.httpUrl}/readyz`)).status).toBe(200)
    const seen: (number | 'closed')[] = []
    const exited = proc.kill('SIGTERM')
    let done = false
    void exited.then(() => (done = true))
    while (!done) {
      seen.push(await fetch(`${proc.httpUrl}/readyz`).then((r) => r.status, () => 'closed' as const))
      await new Promise((r) => setTimeout(r, 25))
    }
    await exited
    // 503 from the signal on; never ready again before it stopped answering.
    const first = seen.indexOf(503)
    expect(first).toBeGreaterThanOrEqual(0)
    expect(seen.slice(first).every((s) => s === 503 || s === 'closed')).toBe(true)
  }, 30_000)
})
