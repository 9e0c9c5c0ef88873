import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { ErrorCode, decodeServerFrame, encodeFrame, type ServerMessage } from '../../protocol/index.js'
import { startSyncServer, SYNC_PATH, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { captureLogs } from './harness.js'

let server: RunningServer
beforeAll(async () => {
  server = await startSyncServer({
    port: 0,
    host: '127.0.0.1',
    store: openMemoryStore(),
    log: captureLogs().log,
    limits: { maxFrameBytes: 512, hardFrameBytes: 1024 },
  })
})
afterAll(() => server.close())

/** A raw client socket with its decoded frames. */
async function open(path = SYNC_PATH) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + path)
  const frames: ServerMessage[] = []
  ws.on('message', (data: Buffer) => {
    const decoded = decodeServerFrame(new Uint8Array(data))
    if (decoded.ok) frames.push(decoded.message)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return { ws, frames }
}
const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(check()).toBe(true)
}

describe('[S1] one WebSocket per device at /sync, binary CBOR frames', () => {
  test('[S1] a socket at /sync is greeted with a challenge', async () => {
    const { ws, frames } = await open()
    await waitFor(() => frames.length > 0)
    expect(frames[0]?.type).toBe('challenge')
    ws.close()
  })

  test('[S1] a WebSocket upgrade on any other path is refused', async () => {
    await expect(open('/other')).rejects.toThrow()
  })

  test('[S6] a frame over maxFrameBytes is a non-fatal FRAME_TOO_LARGE; over the hard cap, ws closes with 1009', async () => {
    const { ws, frames } = await open()
    await waitFor(() => frames.length > 0)
    ws.send(encodeFrame({ type: 'push', id: 1, envelopes: [new Uint8Array(600)] }))
    await waitFor(() => frames.some((f) => f.type === 'error'))
    expect(frames.find((f) => f.type === 'error')).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE, fatal: false })
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send(new Uint8Array(2000))
    expect(await closed).toBe(1009)
  })
})

describe('[S7] health endpoint', () => {
  test('[S7] GET /healthz answers JSON counters, never cached', async () => {
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ ok: true, uptimeSeconds: expect.any(Number), connections: expect.any(Number) })
    expect(Object.keys(body).sort()).toEqual(['connections', 'envelopesIn', 'envelopesOut', 'framesRejected', 'ok', 'uptimeSeconds'])
  })

  test('[S7] with no built app, other paths are 404', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(404)
  })
})
