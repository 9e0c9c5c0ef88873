import { readFileSync } from 'node:fs'
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { generateDeviceKeys } from '../../crypto/index.js'
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../protocol/index.js'
import { startSyncServer, SYNC_PATH, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { makeTestCert, opensslMissing, type TestCert } from '../integration/helpers/tlsServer.js'
import { helloFor } from '../helpers/hello.js'
import { captureLogs } from './harness.js'

/**
 * [S41] with [S6]: over TLS the slow and silent peers go as over plain HTTP — a TCP connection
 * that never finishes its handshake, a TLS connection that then says nothing — while an upgraded
 * WSS device is kept past the silent-socket limit (the limit is set on the
 * TLS socket, the one the upgrade clears, not on the TCP socket under it). Small limits, as in
 * slowPeers.test.ts.
 */
const missing = opensslMissing()
if (missing) console.warn(`tls.slowPeers: ${missing}`)

describe.skipIf(missing !== undefined)('[S41][S6] slow and silent peers over TLS', () => {
  let cert: TestCert
  let server: RunningServer
  beforeAll(async () => {
    cert = makeTestCert()
    server = await startSyncServer({
      port: 0,
      host: '127.0.0.1',
      store: openMemoryStore(),
      log: captureLogs().log,
      tls: { cert: cert.cert, key: readFileSync(cert.keyFile) },
      // The idle limit is long: the last test is about the silent-socket limit only.
      limits: { headersTimeoutMs: 1_000, silentSocketMs: 600, idleTimeoutMs: 20_000, closeGraceMs: 300, handshakeTimeoutMs: 5_000 },
    })
  })
  afterAll(() => server?.close())

  const port = () => Number(new URL(server.url).port)
  const closedWithin = (s: Socket, ms: number) =>
    new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms)
      s.once('close', () => (clearTimeout(t), resolve(true)))
    })

  test('server.url is https://', () => {
    expect(server.url).toBe(`https://127.0.0.1:${port()}`)
  })

  test('a TCP connection that never starts its TLS handshake is closed', async () => {
    const s = await new Promise<Socket>((resolve, reject) => {
      const c = tcpConnect(port(), '127.0.0.1', () => resolve(c))
      c.once('error', reject)
    })
    expect(await closedWithin(s, 5_000)).toBe(true)
  })

  test('a TLS connection that sends nothing after its handshake is closed', async () => {
    const s = await new Promise<TLSSocket>((resolve, reject) => {
      const c = tlsConnect({ port: port(), host: '127.0.0.1', ca: cert.cert }, () => resolve(c))
      c.once('error', reject)
    })
    expect(s.authorized).toBe(true)
    expect(await closedWithin(s, 5_000)).toBe(true)
  })

  test('an authenticated WSS device is kept while silent for well over the silent-socket limit (within the idle limit)', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port()}${SYNC_PATH}`, { ca: cert.cert })
    const frames: ServerMessage[] = []
    ws.on('message', (d: Buffer) => {
      const m = decodeServerFrame(new Uint8Array(d))
      if (m.ok) frames.push(m.message)
    })
    await new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j)))
    for (let i = 0; i < 200 && !frames.some((f) => f.type === 'challenge'); i++) await new Promise((r) => setTimeout(r, 10))
    const challenge = frames.find((f) => f.type === 'challenge') as Extract<ServerMessage, { type: 'challenge' }>
    ws.send(encodeFrame(await helloFor(generateDeviceKeys(), challenge.nonce)))
    for (let i = 0; i < 200 && !frames.some((f) => f.type === 'welcome'); i++) await new Promise((r) => setTimeout(r, 10))
    expect(frames.some((f) => f.type === 'welcome')).toBe(true)
    let closed = false
    ws.once('close', () => (closed = true))
    await new Promise((r) => setTimeout(r, 2_500))
    expect(closed).toBe(false)
    expect(ws.readyState).toBe(WebSocket.OPEN)
    ws.close()
  })
})
