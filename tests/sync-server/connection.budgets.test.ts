import { describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/index.js'
import { ErrorCode, type ServerMessage } from '../../protocol/index.js'
import { KeyedBuckets } from '../../sync-server/budgets.js'
import { Device, Room, server } from './harness.js'

const alice = new Device('alice')
const bob = new Device('bob')
const pongs = (trace: ServerMessage[]) => trace.flatMap((m) => (m.type === 'pong' ? [m.t] : []))
const rateErrors = (trace: ServerMessage[]) => trace.filter((m) => m.type === 'error' && m.code === ErrorCode.RATE_LIMITED)

describe('[S22] budgets per device and per address, kept across connections; over budget, reading pauses', () => {
  test('[S22] frames over the budget are held and answered later, in order, with one RATE_LIMITED notice; reading pauses and resumes', async () => {
    const srv = server({ limits: { framesPerSecond: 50, burstFrames: 3, addressFramesPerSecond: 50, addressBurstFrames: 3 } })
    const peer = srv.connect()
    for (let t = 1; t <= 8; t++) peer.send({ type: 'ping', t })
    // Three within the burst are answered at once; the rest wait while reading is paused.
    expect(peer.socket.isPaused).toBe(true)
    await peer.next(8 + 1, 1)
    expect(pongs(peer.trace)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(rateErrors(peer.trace)).toEqual([expect.objectContaining({ fatal: false })])
    // The notice comes after the answers to the frames before it.
    expect(peer.types().slice(1, 5)).toEqual(['pong', 'pong', 'pong', `error:${ErrorCode.RATE_LIMITED}`])
    expect(peer.socket.isPaused).toBe(false)
    expect(peer.socket.closed).toBeUndefined()
  })

  test('[S22] a device that reconnects finds its budget where it left it: no fresh burst', async () => {
    const srv = server({ limits: { framesPerSecond: 1, burstFrames: 4 } })
    const first = srv.connect()
    await alice.hello(first)
    for (let t = 1; t <= 4; t++) first.send({ type: 'ping', t })
    await first.next(4, 2)
    first.socket.close(1000, 'bye')
    const second = srv.connect()
    await alice.hello(second)
    second.send({ type: 'ping', t: 99 })
    // Paused at once: the budget was spent on the first connection.
    expect(second.socket.isPaused).toBe(true)
    // Another device on the same server has its own budget.
    const other = srv.connect()
    await bob.hello(other)
    expect(await other.ask({ type: 'ping', t: 7 })).toEqual([{ type: 'pong', t: 7 }])
  })

  test('[S22] before authentication the budget is per client address: a new socket from it gets no fresh burst', async () => {
    const srv = server({ limits: { addressFramesPerSecond: 1, addressBurstFrames: 2 } })
    const a = srv.connect()
    a.send({ type: 'ping', t: 1 })
    a.send({ type: 'ping', t: 2 })
    await a.next(2, 1)
    const b = srv.connect()
    b.send({ type: 'ping', t: 3 })
    expect(b.socket.isPaused).toBe(true)
  })

  test('[S22] a peer that sends far more than it may while paused is closed, RATE_LIMITED, and nothing it held is kept', async () => {
    const srv = server({ limits: { addressFramesPerSecond: 1, addressBurstFrames: 1, maxHeldFrames: 10 } })
    const peer = srv.connect()
    for (let t = 1; t <= 12; t++) peer.send({ type: 'ping', t })
    await peer.next(1, 1)
    expect(peer.socket.closed?.code).toBe(4000 + (ErrorCode.RATE_LIMITED % 1000))
  })

  test('[S22] a peer whose frames wait to be handled is read no further until half of them are answered', async () => {
    const srv = server({ limits: { maxQueuedFrames: 4 } })
    const peer = srv.connect()
    await alice.hello(peer)
    const room = new Room()
    await room.join(peer)
    // Pushes wait for signature checks and the store: six in a row fill the queue.
    const envelopes = await Promise.all(Array.from({ length: 6 }, () => alice.envelope(room)))
    for (let i = 0; i < 6; i++) peer.send({ type: 'push', id: i, envelopes: [envelopes[i]!] })
    expect(peer.socket.isPaused).toBe(true)
    const answers = await peer.next(6, peer.trace.length)
    expect(answers.map((m) => m.type === 'ack' && m.id)).toEqual([0, 1, 2, 3, 4, 5])
    expect(peer.socket.isPaused).toBe(false)
  })

  test('[S22] [S11] a sender over its mailbox-row budget gets RATE_LIMITED for each item, and nothing is stored', async () => {
    const srv = server({ limits: { mailRowsPerSecond: 1, mailRowsBurst: 100 } })
    const peer = srv.connect()
    await alice.hello(peer)
    const to = Array.from({ length: 60 }, () => new Device('r').mailbox)
    const [first] = await peer.ask({ type: 'mail', id: 1, to, items: [randomBytes(8)] })
    expect(first).toMatchObject({ type: 'ack', results: [{ sseq: expect.any(Number) }] })
    // 60 rows left 40: 60 × 2 items is over.
    const [second] = await peer.ask({ type: 'mail', id: 2, to, items: [randomBytes(8), randomBytes(8)] })
    expect(second).toEqual({ type: 'ack', id: 2, results: [{ code: ErrorCode.RATE_LIMITED }, { code: ErrorCode.RATE_LIMITED }] })
    expect(await srv.ctx.store.mailBodies()).toBe(1)
    // The same device on a new connection is still over it.
    const again = srv.connect()
    await alice.hello(again)
    const [third] = await again.ask({ type: 'mail', id: 3, to, items: [randomBytes(8)] })
    expect(third).toMatchObject({ results: [{ code: ErrorCode.RATE_LIMITED }] })
  })
})

describe('[S22] KeyedBuckets', () => {
  test('[S22] refills at its rate up to the burst; a cost above the burst waits for a full bucket; least recently used keys go first', () => {
    let now = 0
    const b = new KeyedBuckets(10, 5, 2, () => now)
    expect(b.take('x', 5)).toBe(0)
    expect(b.take('x')).toBe(100) // one token at 10/s
    now = 250
    expect(b.take('x', 2)).toBe(0)
    expect(b.take('x', 50)).toBe(450) // capped at the burst of 5: 4.5 tokens missing
    b.take('y')
    b.take('z')
    expect(b.tracked).toBe(2)
  })
})
