import { describe, expect, test } from 'vitest'
import { capabilityProofBytes, deriveAdminCapability, deriveCapability, generateEpochKey, randomBytes, rekeyProofBytes } from '../../crypto/index.js'
import { ErrorCode, encodeFrame, type ServerMessage } from '../../protocol/index.js'
import { Device, online, Room, server, type Peer } from './harness.js'

/**
 * [S44]–[S47] Signals through one server's connections. Personas: alice and bob are joined to
 * one room; carol is joined elsewhere; eve is hostile (unjoined, flooding, oversized, stale).
 */
const relayed = (p: Peer) => p.trace.filter((m): m is Extract<ServerMessage, { type: 'relay' }> => m.type === 'relay')
const body = (fill: number, n = 557) => new Uint8Array(n).fill(fill)
/** A ping's pong: everything sent before it has been handled, in order ([S6]). */
const settle = async (p: Peer) => void (await p.ask({ type: 'ping', t: Math.random() }))

describe('[S44][S45] a signal reaches the other joined connections at once, and only them', () => {
  test('[S44][S45] relayed as `relay` {conv, body} to every other joined connection, not back to the sender, not to other rooms; no answer, nothing stored', async () => {
    const srv = server()
    const room = new Room()
    const other = new Room()
    const [alice, bob, bob2, carol] = [new Device('alice'), new Device('bob'), new Device('bob'), new Device('carol')]
    const a = await online(srv, alice, room)
    const b = await online(srv, bob, room)
    const b2 = await online(srv, bob2, room)
    const c = await online(srv, carol, other)
    const before = JSON.stringify(await srv.ctx.store.getConv(room.conv))
    const sent = a.trace.length
    a.send({ type: 'signal', conv: room.conv, body: body(7) })
    await settle(a)
    for (const p of [b, b2]) await p.next(1, p.trace.length - relayed(p).length)
    for (const p of [b, b2]) expect(relayed(p)).toEqual([{ type: 'relay', conv: room.conv, body: body(7) }])
    expect(a.trace.slice(sent).map((m) => m.type)).toEqual(['pong']) // no answer, no echo
    await settle(c)
    expect(relayed(c)).toEqual([])
    expect(JSON.stringify(await srv.ctx.store.getConv(room.conv))).toBe(before)
    expect(await srv.ctx.store.mailDepth()).toBe(0)
    // [S8] No log line names the conversation or carries the body.
    const logs = srv.logs.join('\n')
    expect(logs).not.toContain(Buffer.from(room.conv).toString('base64url'))
    expect(logs).not.toContain(Buffer.from(room.conv).toString('hex'))
  })
})

describe('[S44][S46] hostile signal frames: coded errors, and the server keeps serving the others', () => {
  test('[S44] 1100 NOT_JOINED (ref = conversation) for a conversation this connection has not joined; nothing is relayed', async () => {
    const srv = server()
    const room = new Room()
    const a = await online(srv, new Device('alice'), room)
    const e = srv.connect()
    await new Device('eve').hello(e)
    const [err] = await e.ask({ type: 'signal', conv: room.conv, body: body(1) })
    expect(err).toMatchObject({ type: 'error', code: ErrorCode.NOT_JOINED, ref: Buffer.from(room.conv).toString('base64url'), fatal: false })
    await settle(a)
    expect(relayed(a)).toEqual([])
  })

  test('[S44][P3] an oversized body (2,049 bytes), an empty one or a short conversation id is 1000 BAD_FRAME; the socket stays open', async () => {
    const srv = server()
    const room = new Room()
    const e = await online(srv, new Device('eve'), room)
    const b = await online(srv, new Device('bob'), room)
    for (const frame of [
      encodeFrame({ type: 'signal', conv: room.conv, body: body(1, 2049) }),
      encodeFrame({ type: 'signal', conv: room.conv, body: new Uint8Array(0) }),
      encodeFrame({ type: 'signal', conv: room.conv.subarray(0, 15), body: body(1) }),
    ]) {
      const [err] = await e.ask(frame)
      expect(err).toMatchObject({ type: 'error', code: ErrorCode.BAD_FRAME, fatal: false })
    }
    e.send({ type: 'signal', conv: room.conv, body: body(2, 2048) }) // the largest allowed
    await b.next(1, b.trace.length)
    expect(relayed(b).map((m) => m.body.length)).toEqual([2048])
  })

  test('[S44][S10] after a rotation the old epoch\'s connection is no longer joined: its signals are 1100, and the new epoch\'s members never get them', async () => {
    const srv = server()
    const room = new Room()
    const [alice, bob, eve] = [new Device('alice'), new Device('bob'), new Device('eve')]
    const a = await online(srv, alice, room)
    const b = await online(srv, bob, room)
    const e = await online(srv, eve, room)
    // alice (admin) rotates to epoch 1 without eve; bob joins the new epoch.
    const key1 = generateEpochKey()
    const cap = deriveCapability(key1, room.conv, 1)
    const admin = deriveAdminCapability(room.adminSecret, room.conv)
    const proof = await admin.signer.sign(rekeyProofBytes(a.challenge, room.conv, 1, cap.publicKey, admin.publicKey))
    await a.ask({ type: 'rekey', conv: room.conv, from: 0, epoch: 1, cap: cap.publicKey, admin: admin.publicKey, proof })
    await b.ask({ type: 'join', conv: room.conv, epoch: 1, cap: cap.publicKey, proof: await cap.signer.sign(capabilityProofBytes(b.challenge, room.conv, 1)) })
    const [err] = await e.ask({ type: 'signal', conv: room.conv, body: body(9) })
    expect(err).toMatchObject({ type: 'error', code: ErrorCode.NOT_JOINED, fatal: false })
    a.send({ type: 'signal', conv: room.conv, body: body(3) })
    await b.next(1, b.trace.length)
    await settle(e)
    expect(relayed(b).map((m) => m.body[0])).toEqual([3])
    expect(relayed(e)).toEqual([])
  })

  test('[S46] a flood: 20 pass (the burst), the rest are dropped with one non-fatal 1002 RATE_LIMITED naming the conversation; others are still served', async () => {
    const srv = server()
    const room = new Room()
    const e = await online(srv, new Device('eve'), room)
    const b = await online(srv, new Device('bob'), room)
    const c = await online(srv, new Device('carol'), room)
    for (let i = 0; i < 200; i++) e.send({ type: 'signal', conv: room.conv, body: body(i & 0xff) })
    await settle(e)
    const limited = e.trace.filter((m) => m.type === 'error')
    expect(limited).toEqual([{ type: 'error', code: ErrorCode.RATE_LIMITED, message: expect.any(String), ref: Buffer.from(room.conv).toString('base64url'), fatal: false }])
    expect(e.socket.closed).toBeUndefined()
    await settle(b)
    expect(relayed(b).length).toBeGreaterThanOrEqual(20)
    expect(relayed(b).length).toBeLessThan(40) // the burst, and what refilled during the test
    // The others keep talking.
    c.send({ type: 'signal', conv: room.conv, body: body(250) })
    await b.next(1, b.trace.length)
    expect(relayed(b).at(-1)!.body[0]).toBe(250)
    expect(await c.ask({ type: 'ping', t: 1 })).toEqual([{ type: 'pong', t: 1 }])
  })

  test('[S47] a receiver whose send buffer is full gets no signal: dropped, not queued; it gets the next one once it reads again', async () => {
    const srv = server({ limits: { maxSignalBufferedBytes: 64 * 1024 } })
    const room = new Room()
    const a = await online(srv, new Device('alice'), room)
    const slow = await online(srv, new Device('slow'), room)
    slow.socket.bufferedAmount = 64 * 1024 + 1
    for (let i = 0; i < 10; i++) a.send({ type: 'signal', conv: room.conv, body: body(i) })
    await settle(a)
    expect(relayed(slow)).toEqual([])
    expect(slow.socket.closed).toBeUndefined()
    slow.socket.bufferedAmount = 0
    a.send({ type: 'signal', conv: room.conv, body: body(42) })
    await slow.next(1, slow.trace.length)
    expect(relayed(slow).map((m) => m.body[0])).toEqual([42])
  })

  test('[S44] before the hello a signal is the fatal 1004 of any frame', async () => {
    const srv = server()
    const e = srv.connect()
    const [err] = await e.ask({ type: 'signal', conv: randomBytes(16), body: body(1) })
    expect(err).toMatchObject({ code: ErrorCode.NOT_AUTHENTICATED, fatal: true })
  })
})
