import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { ErrorCode, PROTOCOL_VERSION, encodeFrame } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { Messenger } from '../../client/core/messenger.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { agreeableServer, settle, type FakeSocket } from './helpers/fakeServer.js'

/**
 * [M33] What the engine does with frames it cannot read and with live sequences that skip, against
 * a server the test plays on fake time: alice's device, one conversation of her own.
 */
interface Rig { messenger: Messenger; sockets: FakeSocket[]; attempts: number[]; problems: { code: string; detail?: string }[] }

async function rig(server: ReturnType<typeof agreeableServer>, backoff: { initialMs: number; maxMs: number }): Promise<Rig> {
  const attempts: number[] = []
  const messenger = await Messenger.open({
    store: createMemoryStore(), url: 'ws://fake/sync', backoff, heartbeatMs: 1_000_000,
    socket: (url) => {
      attempts.push(Date.now())
      return server.factory(url)
    },
  })
  await messenger.createIdentity('alice')
  await messenger.createConversation('Depot crew')
  const problems: Rig['problems'] = []
  messenger.events.on('problem', (p) => problems.push(p))
  return { messenger, sockets: server.sockets, attempts, problems }
}

/** Challenge → hello → welcome → join → joined → subscribes (answered by the server). */
async function connect(r: Rig, s: FakeSocket): Promise<void> {
  s.challenge()
  await settle(() => s.sent.some((m) => m.type === 'subscribe'), 'subscribed')
}

const JUNK = Uint8Array.of(0xd8, 0x1c, 0x87, 0xff, 0x00, 0x13)

describe('damaged frames and skipping sequences (fake server, fake time)', () => {
  let rigs: Rig[] = []
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
    vi.spyOn(Math, 'random').mockReturnValue(0.5) // jitter factor exactly 1
  })
  afterEach(async () => {
    vi.useRealTimers()
    vi.restoreAllMocks()
    await Promise.all(rigs.map((r) => r.messenger.stop()))
    rigs = []
  })

  test('[M33] an unreadable frame is reported (M402), ends the connection, and no later frame of that socket is handled; the engine reconnects', async () => {
    const r = await rig(agreeableServer(), { initialMs: 40, maxMs: 160 })
    rigs.push(r)
    r.messenger.start()
    const [s] = r.sockets
    await connect(r, s!)
    s!.deliverRaw(JUNK)
    // Already on the wire behind it: a fatal version mismatch, which would be M401 if handled.
    s!.deliverRaw(encodeFrame({ type: 'error', code: ErrorCode.VERSION_MISMATCH, message: 'x', fatal: true }))
    await settle(() => s!.closed, 'the socket is closed')
    await vi.advanceTimersByTimeAsync(0)
    expect(r.problems).toEqual([{ code: ClientErrorCode.STREAM_DAMAGED, detail: 'unreadable frame' }])
    expect(r.messenger.status.connection).toBe('offline')
    await vi.advanceTimersByTimeAsync(40)
    expect(r.sockets).toHaveLength(2)
    await connect(r, r.sockets[1]!)
    expect(r.messenger.status.connection).toBe('online')
  })

  test('[M33] connections ended by damage in a row back off like failed attempts, though each got its welcome; one that gets online starts over', async () => {
    let answerSubscribes = false
    const server = agreeableServer((msg, s) => {
      if (answerSubscribes) s.deliver({ type: 'caught-up', conv: msg.conv, doc: msg.doc, cursor: msg.cursor })
    })
    const r = await rig(server, { initialMs: 40, maxMs: 1000 })
    rigs.push(r)
    r.messenger.start()
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const s = r.sockets[i]!
      answerSubscribes = i === 3
      await connect(r, s)
      if (answerSubscribes) await settle(() => r.messenger.status.connection === 'online', 'online')
      else expect(r.messenger.status.connection).toBe('syncing') // welcomed, never caught up
      s.deliverRaw(JUNK)
      await settle(() => s.closed, `socket ${i} closed`)
      const closedAt = Date.now()
      await vi.advanceTimersByTimeAsync(2000)
      waits.push(r.attempts[i + 1]! - closedAt)
    }
    expect(waits).toEqual([40, 80, 160, 40, 80])
    expect(r.problems.filter((p) => p.detail === 'unreadable frame')).toHaveLength(5)
  })

  test('[M33] a server that keeps skipping an sseq: the document is fetched again each time, reported, and the waits between grow to maxMs (no tight loop)', async () => {
    const subscribes: number[] = []
    let watched: string | undefined
    const server = agreeableServer((msg, s) => {
      const key = msg.doc.join(',')
      watched ??= key
      if (key === watched) subscribes.push(Date.now())
      s.deliver({ type: 'caught-up', conv: msg.conv, doc: msg.doc, cursor: msg.cursor })
      // Live from the cursor on, always one sseq short: the hole never fills.
      s.deliver({ type: 'envelopes', conv: msg.conv, doc: msg.doc, items: [{ sseq: msg.cursor + 2, env: new Uint8Array(200) }], live: true })
    })
    const r = await rig(server, { initialMs: 1000, maxMs: 4000 })
    rigs.push(r)
    r.messenger.start()
    await connect(r, r.sockets[0]!)
    for (let t = 0; t < 40; t++) {
      await vi.advanceTimersByTimeAsync(1000)
      await settle(() => true, 'a tick')
    }
    const waits = subscribes.slice(1).map((t, i) => t - subscribes[i]!)
    // 1 s for the hole to count as a gap, then 0, 1, 2, 4, 4… s of backoff: 9 fetches in 40 s, not 40.
    // (fake time; a handful of milliseconds pass while the frames before are handled)
    const expected = [1000, 2000, 3000, 5000, 5000, 5000]
    waits.slice(0, 6).forEach((w, i) => expect(Math.abs(w - expected[i]!)).toBeLessThan(50))
    expect(subscribes.length).toBeLessThanOrEqual(10)
    const gaps = r.problems.filter((p) => p.detail?.startsWith('sequence gap'))
    expect(gaps.length).toBeGreaterThanOrEqual(subscribes.length - 1)
    expect(gaps.map((p) => p.code)).toContain(ClientErrorCode.STREAM_DAMAGED)
    expect(gaps.some((p) => p.detail === 'sequence gap (6 in a row)')).toBe(true)
    expect(r.sockets).toHaveLength(1) // one document fetched again: the connection stays
  })
})
