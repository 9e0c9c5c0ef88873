import { describe, expect, test, vi } from 'vitest'
import { capabilityProofBytes, deriveCapability, generateEpochKey, randomBytes, toBase64Url, toHex } from '../../crypto/index.js'
import { ErrorCode, type ServerMessage } from '../../protocol/index.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { Device, Room, online, server } from './harness.js'

const alice = new Device('alice')
const bob = new Device('bob')
const eve = new Device('eve')

const flip = (bytes: Uint8Array, at: number) => {
  if (at >= bytes.length) throw new RangeError('flip past the end')
  const out = bytes.slice()
  out[at]! ^= 1
  return out
}
const items = (m: ServerMessage | undefined) => (m?.type === 'envelopes' ? m.items.map((i) => i.sseq) : undefined)

describe('[S3] capability join', () => {
  test('[S3] [K2] [K6] the creator\'s first valid proof registers the capability and admin key; a member joins with the same capability', async () => {
    const srv = server()
    const room = new Room(3, undefined, alice)
    const a = srv.connect()
    await alice.hello(a)
    expect(await room.join(a)).toEqual([{ type: 'joined', conv: room.conv, epoch: 3 }])
    const b = srv.connect()
    await bob.hello(b)
    expect(await room.join(b)).toEqual([{ type: 'joined', conv: room.conv, epoch: 3 }])
    const stored = await srv.ctx.store.getConv(room.conv)
    expect(stored?.epoch).toBe(3)
    expect(new Uint8Array(stored!.capPublic)).toEqual(room.capability.publicKey)
    expect(new Uint8Array(stored!.admin!)).toEqual(room.admin)
  })

  test('[S3] [K6] a member who joins before the creator, or who copies its origin, gets NOT_REGISTERED and registers nothing; the creator still registers', async () => {
    const srv = server()
    const room = new Room(0, undefined, alice)
    const b = srv.connect()
    await bob.hello(b)
    // Bob holds the invitation (the epoch key) and even the creator's origin: he is not its creator.
    const [refused] = await room.join(b)
    expect(refused).toEqual({ type: 'error', code: ErrorCode.NOT_REGISTERED, message: expect.any(String), ref: toBase64Url(room.conv), fatal: false })
    // An attacker who brings an admin key of its own and no origin is refused the same way.
    const cap = room.capability
    const proof = await cap.signer.sign(capabilityProofBytes(b.challenge, room.conv, room.epoch))
    const [alsoRefused] = await b.ask({ type: 'join', conv: room.conv, epoch: room.epoch, cap: cap.publicKey, proof, admin: randomBytes(32) })
    expect(alsoRefused).toMatchObject({ code: ErrorCode.NOT_REGISTERED, fatal: false })
    expect(await srv.ctx.store.getConv(room.conv)).toBeUndefined()
    // The creator without its admin key registers nothing either: every conversation can be rotated.
    const a = srv.connect()
    await alice.hello(a)
    const aliceProof = await cap.signer.sign(capabilityProofBytes(a.challenge, room.conv, room.epoch))
    const [noAdmin] = await a.ask({ type: 'join', conv: room.conv, epoch: room.epoch, cap: cap.publicKey, proof: aliceProof, origin: room.origin })
    expect(noAdmin).toMatchObject({ code: ErrorCode.NOT_REGISTERED })
    expect(await room.join(a)).toEqual([{ type: 'joined', conv: room.conv, epoch: 0 }])
    expect(new Uint8Array((await srv.ctx.store.getConv(room.conv))!.admin!)).toEqual(room.admin)
    expect(await room.join(b)).toEqual([{ type: 'joined', conv: room.conv, epoch: 0 }])
  })

  test('[S3] eve, with a capability from another key, cannot join a registered conversation', async () => {
    const srv = server()
    const room = new Room()
    await online(srv, alice, room)
    const peer = srv.connect()
    await eve.hello(peer)
    const forged = new Room(room.epoch, generateEpochKey())
    const cap = deriveCapability(forged.epochKey, room.conv, room.epoch)
    const proof = await cap.signer.sign(capabilityProofBytes(peer.challenge, room.conv, room.epoch))
    const [error] = await peer.ask({ type: 'join', conv: room.conv, epoch: room.epoch, cap: cap.publicKey, proof })
    expect(error).toEqual({ type: 'error', code: ErrorCode.CAPABILITY_REJECTED, message: expect.any(String), ref: toBase64Url(room.conv), fatal: false })
  })

  test('[S3] a capability proof over another connection\'s challenge is rejected', async () => {
    const srv = server()
    const room = new Room()
    const first = srv.connect()
    const cap = room.capability
    const proof = await cap.signer.sign(capabilityProofBytes(first.challenge, room.conv, room.epoch))
    const second = srv.connect()
    await alice.hello(second)
    const [error] = await second.ask({ type: 'join', conv: room.conv, epoch: room.epoch, cap: cap.publicKey, proof })
    expect(error).toMatchObject({ code: ErrorCode.CAPABILITY_REJECTED, fatal: false })
  })

  test('[S3] push and subscribe need a join of the envelope\'s conversation', async () => {
    const srv = server()
    const room = new Room()
    const peer = srv.connect()
    await alice.hello(peer)
    expect(await peer.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(room)] })).toEqual([
      { type: 'ack', id: 1, results: [{ code: ErrorCode.NOT_JOINED }] },
    ])
    const [error] = await peer.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    expect(error).toMatchObject({ code: ErrorCode.NOT_JOINED, ref: toBase64Url(room.conv), fatal: false })
  })
})

describe('[S4] push', () => {
  test('[S4] each envelope is acked with its server sequence number, in push order', async () => {
    const srv = server()
    const room = new Room()
    const peer = await online(srv, alice, room)
    const envelopes = [await alice.envelope(room), await alice.envelope(room)]
    expect(await peer.ask({ type: 'push', id: 7, envelopes })).toEqual([{ type: 'ack', id: 7, results: [{ sseq: 1 }, { sseq: 2 }] }])
  })

  test('[S4] a repeated push is acked idempotently with the stored sseq', async () => {
    const srv = server()
    const room = new Room()
    const peer = await online(srv, alice, room)
    const env = await alice.envelope(room)
    await peer.ask({ type: 'push', id: 1, envelopes: [env] })
    expect(await peer.ask({ type: 'push', id: 2, envelopes: [env, env] })).toEqual([{ type: 'ack', id: 2, results: [{ sseq: 1 }, { sseq: 1 }] }])
    expect(await srv.ctx.store.read(room.conv, room.doc, 0, 10)).toHaveLength(1)
  })

  test('[S4][S12] refusals are per envelope: malformed, forged, another epoch\'s, gap, broken chain, equivocation', async () => {
    const srv = server()
    const room = new Room()
    const peer = await online(srv, alice, room)
    const [one, two, three] = [await alice.envelope(room), await alice.envelope(room), await alice.envelope(room)]
    const stale = await alice.envelope(room, room.doc, 'under an epoch the conversation is not at', room.epoch + 1)
    const [ack] = await peer.ask({
      type: 'push',
      id: 3,
      envelopes: [randomBytes(600), flip(one, 300), stale, three, one],
    })
    expect(ack).toEqual({
      type: 'ack',
      id: 3,
      results: [
        { code: ErrorCode.BAD_ENVELOPE },
        { code: ErrorCode.BAD_ENVELOPE },
        { code: ErrorCode.STALE_EPOCH },
        { code: ErrorCode.SEQ_GAP },
        { sseq: 1 },
      ],
    })
    expect(await peer.ask({ type: 'push', id: 4, envelopes: [two, three] })).toEqual([{ type: 'ack', id: 4, results: [{ sseq: 2 }, { sseq: 3 }] }])
  })

  test('[S4] a second envelope at a used seq is EQUIVOCATION; a prev that skips a link is CHAIN_BROKEN', async () => {
    const srv = server()
    const room = new Room()
    const peer = await online(srv, alice, room)
    // A forked alice (same key, own history) sealed a different seq 1 and 2.
    const fork = alice.fork()
    const one = await alice.envelope(room)
    const forkOne = await fork.envelope(room, room.doc, 'fork')
    const forkTwo = await fork.envelope(room, room.doc, 'fork two')
    expect(await peer.ask({ type: 'push', id: 1, envelopes: [one, forkOne, forkTwo] })).toEqual([
      { type: 'ack', id: 1, results: [{ sseq: 1 }, { code: ErrorCode.EQUIVOCATION }, { code: ErrorCode.CHAIN_BROKEN }] },
    ])
  })

  test('[S4] invariant 1: the ack is sent only after the append has resolved', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const inner = openMemoryStore()
    const slow: ChangeStore = { ...inner, append: async (batch) => (await gate, inner.append(batch)) }
    const srv = server({ store: slow })
    const room = new Room()
    const peer = await online(srv, alice, room)
    const before = peer.trace.length
    peer.send({ type: 'push', id: 1, envelopes: [await alice.envelope(room)] })
    await new Promise((r) => setTimeout(r, 30))
    expect(peer.trace.length).toBe(before)
    release()
    expect(await peer.next(1, before)).toEqual([{ type: 'ack', id: 1, results: [{ sseq: 1 }] }])
  })
})

describe('[S5] subscribe: backlog, caught-up, then live fan-out', () => {
  test('[S5] bob gets the backlog after his cursor, then caught-up, then alice\'s live pushes', async () => {
    const srv = server()
    const room = new Room()
    const a = await online(srv, alice, room)
    await a.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(room), await alice.envelope(room), await alice.envelope(room)] })
    const b = await online(srv, bob, room)
    const from = b.trace.length
    b.send({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 1 })
    const [backlog, caughtUp] = await b.next(2, from)
    expect(backlog).toMatchObject({ type: 'envelopes', live: false })
    expect(items(backlog)).toEqual([2, 3])
    expect(caughtUp).toEqual({ type: 'caught-up', conv: room.conv, doc: room.doc, cursor: 3 })

    await a.ask({ type: 'push', id: 2, envelopes: [await alice.envelope(room)] })
    const [live] = await b.next(1, from + 2)
    expect(live).toMatchObject({ type: 'envelopes', live: true })
    expect(items(live)).toEqual([4])
  })

  test('[S5] an empty document answers caught-up with the cursor; the pusher does not get its own envelopes back', async () => {
    const srv = server()
    const room = new Room()
    const a = await online(srv, alice, room)
    expect(await a.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })).toEqual([
      { type: 'caught-up', conv: room.conv, doc: room.doc, cursor: 0 },
    ])
    const [ack] = await a.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(room)] })
    expect(ack?.type).toBe('ack')
    await new Promise((r) => setTimeout(r, 20))
    expect(a.types().slice(-1)).toEqual(['ack'])
  })

  test('[S5] fan-out is keyed by (conversation, document): other documents and duplicates are not delivered', async () => {
    const srv = server()
    const room = new Room()
    const otherDoc = randomBytes(16)
    const a = await online(srv, alice, room)
    const b = await online(srv, bob, room)
    await b.ask({ type: 'subscribe', conv: room.conv, doc: otherDoc, cursor: 0 })
    const env = await alice.envelope(room)
    await a.ask({ type: 'push', id: 1, envelopes: [env] })
    await a.ask({ type: 'push', id: 2, envelopes: [env] })
    await new Promise((r) => setTimeout(r, 20))
    expect(b.types().slice(-1)).toEqual(['caught-up'])
  })

  test.each([
    ['the first backlog page (it is read again)', 1, ['envelopes', 'envelopes', 'caught-up']],
    ['the final, empty page (it is delivered live)', 2, ['envelopes', 'caught-up', 'envelopes']],
  ])('[S5] a push landing while %s is answered is neither lost nor delivered twice', async (_when, gatedCall, expected) => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const inner = openMemoryStore()
    let calls = 0
    const slow: ChangeStore = {
      ...inner,
      read: async (...args) => {
        const page = await inner.read(...args) // read now, answer later: the push lands in between
        if (++calls === gatedCall) await gate
        return page
      },
    }
    const srv = server({ store: slow })
    const room = new Room()
    const a = await online(srv, alice, room)
    await a.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(room)] })
    const b = await online(srv, bob, room)
    const from = b.trace.length
    b.send({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    await vi.waitFor(() => expect(calls).toBe(gatedCall))
    await a.ask({ type: 'push', id: 2, envelopes: [await alice.envelope(room)] })
    release()
    await b.next(3, from)
    await new Promise((r) => setTimeout(r, 20))
    expect(b.types().slice(from)).toEqual(expected)
    expect(b.trace.slice(from).flatMap((m) => items(m) ?? [])).toEqual([1, 2])
  })

  test('[S5] unsubscribe stops live delivery', async () => {
    const srv = server()
    const room = new Room()
    const a = await online(srv, alice, room)
    const b = await online(srv, bob, room)
    await b.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    b.send({ type: 'unsubscribe', conv: room.conv, doc: room.doc })
    await a.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(room)] })
    await new Promise((r) => setTimeout(r, 20))
    expect(b.types().slice(-1)).toEqual(['caught-up'])
  })
})

describe('[S8] the logs hold no payload, key or proof', () => {
  test('[S8] after a scripted exchange, no envelope, key or proof bytes appear in any log line', async () => {
    const srv = server()
    const room = new Room()
    const a = await online(srv, alice, room)
    const b = await online(srv, bob, room)
    await b.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    const envs = [await alice.envelope(room, room.doc, 'SECRET-MARKER-1'), await alice.envelope(room, room.doc, 'SECRET-MARKER-2')]
    await a.ask({ type: 'push', id: 1, envelopes: envs })
    await a.ask(new Uint8Array([0xff]))
    await a.ask({ type: 'push', id: 2, envelopes: [flip(envs[0]!, 300)] })
    const logs = srv.logs.join('\n')
    expect(srv.logs.length).toBeGreaterThan(0)
    expect(logs).not.toContain('SECRET-MARKER')
    const secrets = [
      alice.keys.signPublic, bob.keys.signPublic, alice.keys.signSecret.subarray(0, 32), room.epochKey, room.capability.publicKey,
      ...envs.map((e) => e.subarray(133, 197)), ...envs.map((e) => e.subarray(197, 229)),
    ]
    for (const s of secrets) {
      for (const spelling of [toHex(s), toBase64Url(s), Buffer.from(s).toString('base64'), s.join(',')]) expect(logs).not.toContain(spelling)
    }
  })
})
