import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { randomBytes } from '../../crypto/index.js'
import { PROTOCOL_VERSION, decodeClientFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { Messenger } from '../../client/core/messenger.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { SocketFactory, SocketLike } from '../../client/core/sync/transport.js'
import { startSyncServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { createLogger } from '../../sync-server/log.js'
import { device, until } from './helpers/devices.js'

/** [M17]–[M19]: the connection state machine, against fake sockets on fake time and a real server. */
class FakeSocket implements SocketLike {
  binaryType = 'blob'
  readyState = 0
  bufferedAmount = 0
  closed = false
  readonly sent: ClientMessage[] = []
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  send(data: Uint8Array): void {
    const decoded = decodeClientFrame(data)
    if (decoded.ok) this.sent.push(decoded.message)
  }
  close(): void {
    this.closed = true
    this.readyState = 3
  }
  /** The server's side: open, then deliver a frame. */
  deliver(msg: ServerMessage): void {
    this.readyState = 1
    const bytes = encodeFrame(msg)
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
  }
}

interface Rig { messenger: Messenger; attempts: number[]; sockets: FakeSocket[]; states: string[] }

/** alice's device with a socket factory the test controls; `refuse` makes every attempt throw. */
async function rig(options: { refuse?: boolean; initialMs?: number; maxMs?: number; heartbeatMs?: number } = {}): Promise<Rig> {
  const attempts: number[] = []
  const sockets: FakeSocket[] = []
  const socket: SocketFactory = () => {
    attempts.push(Date.now())
    if (options.refuse) throw new Error('network unreachable')
    const s = new FakeSocket()
    sockets.push(s)
    return s
  }
  const messenger = await Messenger.open({
    store: createMemoryStore(), url: 'ws://fake/sync', socket,
    backoff: { initialMs: options.initialMs ?? 40, maxMs: options.maxMs ?? 160 }, heartbeatMs: options.heartbeatMs ?? 100_000,
  })
  await messenger.createIdentity('alice')
  const states: string[] = []
  messenger.events.on('status', (s) => states.push(s.connection))
  return { messenger, attempts, sockets, states }
}

const handshake = (s: FakeSocket) => {
  s.deliver({ type: 'challenge', v: PROTOCOL_VERSION, nonce: randomBytes(32), limits: { maxFrameBytes: 4 << 20, maxEnvelopesPerPush: 256, framesPerSecond: 400 } })
}

/**
 * Waits, in real time and without moving the fake clock, until `check` holds: frame handling
 * awaits real asynchronous work (the WebCrypto signature of `hello`), which fake time does not drive.
 */
const realSetTimeout = globalThis.setTimeout
async function settle(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => realSetTimeout(r, 1))
  if (!check()) throw new Error(`never happened: ${what}`)
}

/** Challenge, hello, welcome: the fake server's half of the handshake. */
async function connect(r: Rig, s: FakeSocket): Promise<void> {
  handshake(s)
  await settle(() => s.sent.some((m) => m.type === 'hello'), 'hello')
  s.deliver({ type: 'welcome', v: PROTOCOL_VERSION })
  await settle(() => r.messenger.status.connection === 'online', 'online')
}

describe('reconnect and heartbeat (fake time)', () => {
  let rigs: Rig[] = []
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(async () => {
    vi.useRealTimers()
    vi.restoreAllMocks()
    await Promise.all(rigs.map((r) => r.messenger.stop()))
    rigs = []
  })

  test('[M18] failed attempts back off exponentially up to maxMs: 40, 80, 160, 160 ms', async () => {
    const r = await rig({ refuse: true })
    rigs.push(r)
    vi.spyOn(Math, 'random').mockReturnValue(0.5) // jitter factor exactly 1
    const t0 = Date.now()
    r.messenger.start()
    await vi.advanceTimersByTimeAsync(600)
    const offsets = r.attempts.map((t) => t - t0)
    expect(offsets.slice(0, 5)).toEqual([0, 40, 120, 280, 440])
  })

  test('[M18] jitter stays within [0.8, 1.2) of the backoff', async () => {
    const low = await rig({ refuse: true, initialMs: 1000, maxMs: 1000 })
    const high = await rig({ refuse: true, initialMs: 1000, maxMs: 1000 })
    rigs.push(low, high)
    const random = vi.spyOn(Math, 'random').mockReturnValue(0)
    low.messenger.start()
    random.mockReturnValue(0.9999)
    high.messenger.start()
    await vi.advanceTimersByTimeAsync(799)
    expect([low.attempts.length, high.attempts.length]).toEqual([1, 1])
    await vi.advanceTimersByTimeAsync(1)
    expect(low.attempts.length).toBe(2)
    await vi.advanceTimersByTimeAsync(399)
    expect(high.attempts.length).toBe(2)
  })

  test('[M18] kick() connects at once and resets the backoff', async () => {
    const r = await rig({ refuse: true, initialMs: 10_000, maxMs: 60_000 })
    rigs.push(r)
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    r.messenger.start()
    await vi.advanceTimersByTimeAsync(10_000 + 20_000) // attempts at 0, 10 s, 30 s
    expect(r.attempts).toHaveLength(3)
    r.messenger.kick()
    expect(r.attempts).toHaveLength(4) // synchronously: no timer involved
    await vi.advanceTimersByTimeAsync(10_000) // the backoff restarted at initialMs
    expect(r.attempts).toHaveLength(5)
  })

  test('[M17] states: offline before start, connecting while the socket opens, syncing after welcome, online when nothing is pending', async () => {
    const r = await rig()
    rigs.push(r)
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    expect(r.messenger.status.connection).toBe('offline')
    r.messenger.start()
    expect(r.messenger.status.connection).toBe('connecting')
    const [s] = r.sockets
    await connect(r, s!) // no conversations: online as soon as welcome is handled
    expect(s!.sent.map((m) => m.type)).toEqual(['hello'])
    expect(r.states).toEqual(['connecting', 'syncing', 'online'])
    s!.onclose?.({}) // the link drops
    expect(r.messenger.status.connection).toBe('offline')
    await vi.advanceTimersByTimeAsync(40)
    expect(r.messenger.status.connection).toBe('connecting')
    expect(r.attempts).toHaveLength(2)
  })

  test('[M18] a version mismatch in the challenge is M401 and the socket is closed', async () => {
    const r = await rig()
    rigs.push(r)
    const problems: string[] = []
    r.messenger.events.on('problem', (p) => problems.push(p.code))
    r.messenger.start()
    r.sockets[0]!.deliver({ type: 'challenge', v: PROTOCOL_VERSION + 1, nonce: randomBytes(32), limits: { maxFrameBytes: 1 << 20, maxEnvelopesPerPush: 1, framesPerSecond: 1 } })
    await settle(() => problems.length > 0, 'a problem')
    expect(problems).toEqual([ClientErrorCode.VERSION_MISMATCH])
    expect(r.sockets[0]!.closed).toBe(true)
    expect(r.sockets[0]!.sent).toEqual([])
  })

  test('[M19] after one silent interval the engine pings; after three it drops the socket and reconnects', async () => {
    const r = await rig({ heartbeatMs: 100, initialMs: 50 })
    rigs.push(r)
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    r.messenger.start()
    const [s] = r.sockets
    await connect(r, s!)
    const pings = () => s!.sent.filter((m) => m.type === 'ping').length
    await vi.advanceTimersByTimeAsync(100) // silent for exactly one interval: not yet
    expect(pings()).toBe(0)
    await vi.advanceTimersByTimeAsync(100)
    expect(pings()).toBe(1)
    s!.deliver({ type: 'pong', t: Date.now() }) // traffic resets the silence
    await vi.advanceTimersByTimeAsync(300)
    expect(s!.closed).toBe(false)
    await vi.advanceTimersByTimeAsync(100) // now silent for 400 ms > 3 intervals
    expect(s!.closed).toBe(true)
    expect(r.messenger.status.connection).toBe('offline')
    await vi.advanceTimersByTimeAsync(50)
    expect(r.sockets).toHaveLength(2)
  })

  test('[M19] a socket that never opens is given up after three intervals too', async () => {
    const r = await rig({ heartbeatMs: 100, initialMs: 50 })
    rigs.push(r)
    vi.spyOn(Math, 'random').mockReturnValue(0.5)
    r.messenger.start()
    await vi.advanceTimersByTimeAsync(300)
    expect(r.sockets[0]!.closed).toBe(false)
    await vi.advanceTimersByTimeAsync(100)
    expect(r.sockets[0]!.closed).toBe(true)
    expect(r.sockets[0]!.sent).toEqual([])
  })
})

describe('states against a real server', () => {
  test('[M17] connecting → syncing → online with a conversation; offline after the server goes away; pending drops to 0 on delivery', async () => {
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: createLogger('silent') })
    const alice = await device('alice', `ws://127.0.0.1:${server.port}/sync`)
    const seen: string[] = []
    const pending: number[] = []
    try {
      const conv = await alice.messenger.createConversation('Depot crew')
      await alice.messenger.send(conv, 'hello')
      expect(alice.messenger.status).toEqual({ connection: 'offline', pending: 1 })
      alice.messenger.events.on('status', (s) => {
        seen.push(s.connection)
        pending.push(s.pending)
      })
      alice.messenger.start()
      await until(() => alice.messenger.status.connection === 'online' && alice.messenger.status.pending === 0, 'online and delivered')
      expect(seen[0]).toBe('connecting')
      expect(seen).toContain('syncing')
      expect(seen.indexOf('syncing')).toBeLessThan(seen.lastIndexOf('online'))
      expect(pending.at(-1)).toBe(0)
      await server.close()
      await until(() => alice.messenger.status.connection !== 'online', 'noticed the server is gone')
      expect(['offline', 'connecting']).toContain(alice.messenger.status.connection)
    } finally {
      await alice.messenger.stop()
      await server.close().catch(() => undefined)
    }
    expect(alice.messenger.status.connection).toBe('offline')
  })
})
