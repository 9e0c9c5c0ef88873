import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { generateDeviceKeys } from '../../crypto/index.js'
import { ErrorCode, decodeServerFrame, encodeFrame, type ServerMessage } from '../../protocol/index.js'
import { startSyncServer, SYNC_PATH, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { helloFor } from '../helpers/hello.js'
import { captureLogs } from './harness.js'

/**
 * [S6] Issue 9, defect 6: half-finished HTTP upgrades and silent TCP sockets were kept for ever, a
 * partial frame after authentication too. Now: headers within headersTimeoutMs, a silent socket
 * closed after silentSocketMs, an authenticated peer with no frame either way for idleTimeoutMs
 * closed with IDLE_TIMEOUT (4006), and a peer that ignores a fatal close cut off after closeGraceMs.
 * Small limits, so the test waits a second or two, not a minute.
 */
let server: RunningServer
beforeAll(async () => {
  server = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: captureLogs().log, limits: { headersTimeoutMs: 1_000, silentSocketMs: 600, idleTimeoutMs: 800, closeGraceMs: 300, handshakeTimeoutMs: 5_000 } })
})
afterAll(() => server.close())

const port = () => Number(new URL(server.url).port)
function rawTcp(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port(), '127.0.0.1', () => resolve(s))
    s.once('error', reject)
  })
}
const closedWithin = (s: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms)
    s.once('close', () => (clearTimeout(t), resolve(true)))
  })

/** A device past its `hello`: the socket and the frames it received. */
async function authenticated(url = server.url): Promise<{ ws: WebSocket; frames: ServerMessage[] }> {
  const ws = new WebSocket(url.replace('http', 'ws') + SYNC_PATH)
  const frames: ServerMessage[] = []
  ws.on('message', (d: Buffer) => {
    const m = decodeServerFrame(new Uint8Array(d))
    if (m.ok) frames.push(m.message)
  })
  await new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j)))
  for (let i = 0; i < 100 && !frames.some((f) => f.type === 'challenge'); i++) await new Promise((r) => setTimeout(r, 10))
  const challenge = frames.find((f) => f.type === 'challenge') as Extract<ServerMessage, { type: 'challenge' }>
  ws.send(encodeFrame(await helloFor(generateDeviceKeys(), challenge.nonce)))
  return { ws, frames }
}

describe('[S6] slow and silent peers are not kept', () => {
  test('a TCP connection that sends nothing is closed', async () => {
    const s = await rawTcp()
    expect(await closedWithin(s, 5_000)).toBe(true)
  })

  test('an HTTP upgrade whose headers never finish (one header line, then a byte now and then) is closed', async () => {
    const s = await rawTcp()
    s.write(`GET ${SYNC_PATH} HTTP/1.1\r\nHost: x\r\n`)
    const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 300)
    const closed = await closedWithin(s, 8_000)
    clearInterval(drip)
    expect(closed).toBe(true)
  })

  test('an authenticated peer that goes silent (or stops half-way through a frame) is closed with IDLE_TIMEOUT', async () => {
    const { ws, frames } = await authenticated()
    for (let i = 0; i < 100 && !frames.some((f) => f.type === 'welcome'); i++) await new Promise((r) => setTimeout(r, 10))
    expect(frames.some((f) => f.type === 'welcome')).toBe(true)
    // Half a frame: the first bytes of a binary frame header, then nothing.
    const raw = (ws as unknown as { _socket: Socket })._socket
    raw.write(Buffer.from([0x82, 0xfe, 0x01]))
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)))
    expect(code).toBe(4000 + (ErrorCode.IDLE_TIMEOUT % 1000))
    expect(frames.some((f) => f.type === 'error' && f.code === ErrorCode.IDLE_TIMEOUT)).toBe(true)
  })

  test('a peer that stays in touch (ping within the idle time) is kept', async () => {
    // Its own server, whose idle time is ten pings long: with 800 ms, a loaded machine that
    // stalled this process for half a second made a gap look like silence (a CI failure).
    const patient = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: captureLogs().log, limits: { idleTimeoutMs: 3_000, handshakeTimeoutMs: 5_000 } })
    try {
      const { ws } = await authenticated(patient.url)
      let closed = false
      ws.once('close', () => (closed = true))
      let last = performance.now()
      let widest = 0
      for (const started = performance.now(); performance.now() - started < 4_000; ) {
        await new Promise((r) => setTimeout(r, 300))
        ws.send(encodeFrame({ type: 'ping', t: Math.round(performance.now()) }))
        widest = Math.max(widest, performance.now() - last)
        last = performance.now()
      }
      // Longer in all than the idle time, each gap well within it: kept.
      expect(widest).toBeLessThan(3_000)
      expect(closed).toBe(false)
      expect(ws.readyState).toBe(WebSocket.OPEN)
      ws.close()
    } finally {
      await patient.close()
    }
  })
})
