import { describe, expect, test } from 'vitest'
import { decoyPool, decoyPoolSize, decoyRowDest, mailDest, randomBytes } from '../../crypto/index.js'
import { ErrorCode, encodeFrame, type ServerMessage } from '../../protocol/index.js'
import { Device, server, type Peer, type Server } from './harness.js'

// Personas: alice (an admin) posts; bob and carol are online, dave is offline until later.
const alice = new Device('alice')
const bob = new Device('bob')
const carol = new Device('carol')
const dave = new Device('dave')

async function connected(srv: Server, device: Device): Promise<Peer> {
  const peer = srv.connect()
  await device.hello(peer)
  return peer
}
const mailboxes = (trace: ServerMessage[]) => trace.flatMap((m) => (m.type === 'mailbox' ? [m.items.map((i) => ({ body: i.body }))] : []))

describe('[S11] one mail item, many recipients', () => {
  test('[S11] one post to three devices: one ack result per item, live to the connected ones, after welcome for the offline one', async () => {
    const srv = server()
    const [a, b, c] = [await connected(srv, alice), await connected(srv, bob), await connected(srv, carol)]
    const op = randomBytes(48 * 200)
    const to = [bob, carol, dave].map((d) => d.mailbox)
    const [ack] = await a.ask({ type: 'mail', id: 9, to, items: [op] })
    expect(ack).toEqual({ type: 'ack', id: 9, results: [{ sseq: expect.any(Number) }] })
    const expected = [[{ body: op }]]
    expect(mailboxes(await b.next(1, 2))).toEqual(expected)
    expect(mailboxes(await c.next(1, 2))).toEqual(expected)
    expect(a.types()).toEqual(['challenge', 'welcome', 'ack'])
    expect(await srv.ctx.store.mailBodies()).toBe(1)

    const d = srv.connect()
    await dave.hello(d)
    expect(mailboxes(await d.next(1, 2))).toEqual(expected)
    // Each device handles its own copy; the body stays until the last one is done.
    const [bobItem] = (b.trace[2] as Extract<ServerMessage, { type: 'mailbox' }>).items
    b.send({ type: 'mail-done', ids: [bobItem!.id] })
    await a.ask({ type: 'ping', t: 1 })
    expect(await srv.ctx.store.readMail(mailDest(bob.mailbox), 10)).toEqual([])
    expect(await srv.ctx.store.readMail(mailDest(carol.mailbox), 10)).toHaveLength(1)
  })

  test('[S11] 1300: when one recipient\'s mailbox is full the whole post is refused and nobody gets it', async () => {
    const srv = server()
    const full = Array.from({ length: 1000 }, () => randomBytes(4))
    await srv.ctx.store.postMail([mailDest(carol.mailbox)], full.slice(0, 64), 1000)
    for (let i = 64; i < 1000; i += 64) await srv.ctx.store.postMail([mailDest(carol.mailbox)], full.slice(i, i + 64), 1000)
    const [a, b] = [await connected(srv, alice), await connected(srv, bob)]
    const to = [bob, carol].map((d) => d.mailbox)
    expect(await a.ask({ type: 'mail', id: 2, to, items: [randomBytes(8), randomBytes(8)] })).toEqual([
      { type: 'ack', id: 2, results: [{ code: ErrorCode.MAILBOX_FULL }, { code: ErrorCode.MAILBOX_FULL }] },
    ])
    expect(await srv.ctx.store.readMail(mailDest(bob.mailbox), 10)).toEqual([])
    expect(b.types()).toEqual(['challenge', 'welcome'])
  })

  test('[S11] a mail naming the same device twice is BAD_FRAME and stores nothing', async () => {
    const srv = server()
    const a = await connected(srv, alice)
    const frame = encodeFrame({ type: 'mail', id: 3, to: [bob.mailbox, carol.mailbox, bob.mailbox], items: [randomBytes(8)] })
    const [error] = await a.ask(frame)
    expect(error).toMatchObject({ type: 'error', code: ErrorCode.BAD_FRAME, fatal: false })
    expect(await srv.ctx.store.mailBodies()).toBe(0)
  })

  test('[S11] [S6] waiting mail comes after welcome in frames within maxFrameBytes; an item is never split', async () => {
    const srv = server({ limits: { maxFrameBytes: 1000 } })
    const bodies = [400, 400, 400, 2000, 10].map((n) => randomBytes(n))
    await srv.ctx.store.postMail([mailDest(bob.mailbox)], bodies, 1000)
    const b = srv.connect()
    await bob.hello(b)
    const frames = mailboxes(await b.next(4, 2))
    expect(frames.map((f) => f.map((i) => i.body.length))).toEqual([[400, 400], [400], [2000], [10]])
    expect(frames.flat().map((i) => i.body)).toEqual(bodies)
  })

  test('[S11] decoys are stored under the destinations given and never fill a mailbox; a reader\'s pool key takes them away in step with the reads (invariant 8)', async () => {
    const srv = server()
    const a = await connected(srv, alice)
    const key = randomBytes(32)
    const decoys = decoyPool(key, decoyPoolSize(8)).slice(3, 8)
    const [ack] = await a.ask({ type: 'mail', id: 4, to: [bob, carol, dave].map((d) => d.mailbox), decoys, items: [randomBytes(64)] })
    expect(ack).toMatchObject({ type: 'ack', id: 4, results: [{ sseq: expect.any(Number) }] })
    const decoysLeft = async () => (await Promise.all(decoys.map((d) => srv.ctx.store.readMail(decoyRowDest(d), 10)))).filter((r) => r.length).length
    expect(await decoysLeft()).toBe(5)
    const readBy = async (device: Device, pool?: Uint8Array) => {
      const peer = srv.connect()
      await device.hello(peer)
      const [box] = (await peer.next(1, 2)).filter((m) => m.type === 'mailbox') as Extract<ServerMessage, { type: 'mailbox' }>[]
      expect(box!.items.map((i) => i.fanout)).toEqual([8])
      peer.send({ type: 'mail-done', ids: [box!.items[0]!.id], ...(pool ? { pools: [{ id: box!.items[0]!.id, key: pool }] } : {}) })
      await peer.ask({ type: 'ping', t: 1 })
    }
    await readBy(bob, randomBytes(32)) // a wrong key recognises nothing
    expect(await decoysLeft()).toBe(5)
    await readBy(carol, key) // 1 real row left after it: ceil(5 / 2) = 3 decoys go
    expect(await decoysLeft()).toBe(2)
    await readBy(dave, key) // the last reader takes the rest, and the body
    expect(await decoysLeft()).toBe(0)
    expect(await srv.ctx.store.mailBodies()).toBe(0)
  })

  test('[S11] a "decoy" naming a real mailbox\'s destination lands elsewhere: it neither fills nor buries that mailbox', async () => {
    const srv = server()
    const a = await connected(srv, alice)
    const victim = mailDest(bob.mailbox)
    for (let i = 0; i < 3; i++) await a.ask({ type: 'mail', id: 10 + i, to: [carol.mailbox], decoys: [victim], items: [randomBytes(8)] })
    expect(await srv.ctx.store.readMail(victim, 10)).toEqual([])
    expect(await srv.ctx.store.readMail(decoyRowDest(victim), 10)).toHaveLength(3)
  })

  test('[S11] an item\'s rows get their ids in random order: the first ids are not its real recipients', async () => {
    const store = server().ctx.store
    let realFirst = 0
    for (let i = 0; i < 20; i++) {
      const to = [randomBytes(32), randomBytes(32)]
      const posted = await store.postMail(to, [randomBytes(8)], 1000, undefined, Array.from({ length: 6 }, () => randomBytes(32)))
      const all = posted!.ids.map((x) => x[0]!)
      const realIds = posted!.ids.slice(0, 2).map((x) => x[0]!)
      if (realIds.every((id) => id < Math.min(...all) + 2)) realFirst++
    }
    expect(realFirst).toBeLessThan(10) // in insertion order it would be 20 of 20
  })

  test('[S11] a reader naming a fresh pool key per item gets at most 8 pools computed at once; its reads are done all the same', async () => {
    const srv = server()
    const a = await connected(srv, alice)
    const [ack] = await a.ask({ type: 'mail', id: 30, to: [bob.mailbox], decoys: Array.from({ length: 7 }, () => randomBytes(32)), items: Array.from({ length: 20 }, () => randomBytes(8)) })
    expect(ack).toMatchObject({ type: 'ack', id: 30 })
    const b = srv.connect()
    await bob.hello(b)
    const [box] = (await b.next(1, 2)).filter((m) => m.type === 'mailbox') as Extract<ServerMessage, { type: 'mailbox' }>[]
    const ids = box!.items.map((i) => i.id)
    expect(ids).toHaveLength(20)
    b.send({ type: 'mail-done', ids, pools: ids.map((id) => ({ id, key: randomBytes(32) })) })
    await b.ask({ type: 'ping', t: 1 })
    expect(srv.ctx.decoyPools.computed).toBe(8)
    expect(await srv.ctx.store.readMail(mailDest(bob.mailbox), 100)).toEqual([])
  })
})
