import { describe, expect, test } from 'vitest'
import { deviceAuthBytes } from '../../crypto/index.js'
import { ErrorCode, PROTOCOL_VERSION, encodeFrame } from '../../protocol/index.js'
import { defaultLimits } from '../../sync-server/limits.js'
import { helloFor } from '../helpers/hello.js'
import { Device, Room, server } from './harness.js'

const alice = new Device('alice')
const eve = new Device('eve')

describe('[S2] handshake: version, then the device proves its key', () => {
  test('[S2] [P1] the server speaks first: a challenge with the version, a fresh 32-byte nonce and its limits', () => {
    const srv = server()
    const [a, b] = [srv.connect(), srv.connect()]
    expect(a.trace).toEqual([
      {
        type: 'challenge',
        v: PROTOCOL_VERSION,
        nonce: expect.any(Uint8Array),
        limits: { maxFrameBytes: defaultLimits.maxFrameBytes, maxEnvelopesPerPush: defaultLimits.maxEnvelopesPerPush, framesPerSecond: defaultLimits.framesPerSecond },
      },
    ])
    expect(a.challenge).toHaveLength(32)
    expect(a.challenge).not.toEqual(b.challenge)
  })

  test('[S2] [K3] a hello signed over this connection\'s challenge is welcomed', async () => {
    const peer = server().connect()
    expect(await alice.hello(peer)).toEqual([{ type: 'welcome', v: PROTOCOL_VERSION }])
    expect(peer.socket.closed).toBeUndefined()
  })

  test('[S2] [P1] a hello with another protocol version is a fatal VERSION_MISMATCH (close 4003)', async () => {
    const peer = server().connect()
    // A device of protocol 1 (device keys in envelope headers) meets a coded refusal.
    const [error] = await peer.ask(await helloFor(alice.keys, peer.challenge, { v: 1 }))
    expect(error).toMatchObject({ type: 'error', code: ErrorCode.VERSION_MISMATCH, fatal: true })
    expect(peer.socket.closed?.code).toBe(4003)
  })

  test('[S2] a proof replayed from another connection is a fatal AUTH_FAILED (close 4005)', async () => {
    const srv = server()
    const first = srv.connect()
    const replayed = await helloFor(alice.keys, first.challenge)
    const second = srv.connect()
    const [error] = await second.ask(replayed)
    expect(error).toMatchObject({ type: 'error', code: ErrorCode.AUTH_FAILED, fatal: true })
    expect(second.socket.closed?.code).toBe(4005)
  })

  test('[S2] eve cannot log in as alice with her own signature', async () => {
    const peer = server().connect()
    const proof = await eve.signer.sign(deviceAuthBytes(peer.challenge, alice.keys.signPublic))
    const [error] = await peer.ask(await helloFor(eve.keys, peer.challenge, { device: alice.keys.signPublic, proof }))
    expect(error).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true })
  })

  test('[S2][K7] eve cannot claim alice\'s mailbox: her hello names it with a proof she cannot make', async () => {
    const peer = server().connect()
    const mine = await helloFor(eve.keys, peer.challenge)
    const alices = await helloFor(alice.keys, peer.challenge)
    const [error] = await peer.ask({ ...mine, mailbox: alices.mailbox })
    expect(error).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true })
    const other = server().connect()
    const replayedProof = await helloFor(eve.keys, other.challenge, { mailbox: alices.mailbox, mailboxProof: alices.mailboxProof })
    const [again] = await other.ask(replayedProof)
    expect(again).toMatchObject({ code: ErrorCode.AUTH_FAILED, fatal: true })
  })

  test('[S2] before the hello only ping is answered; anything else is a fatal NOT_AUTHENTICATED', async () => {
    const peer = server().connect()
    expect(await peer.ask({ type: 'ping', t: 5 })).toEqual([{ type: 'pong', t: 5 }])
    const room = new Room()
    const [error] = await peer.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    expect(error).toMatchObject({ type: 'error', code: ErrorCode.NOT_AUTHENTICATED, fatal: true })
    expect(peer.socket.closed?.code).toBe(4004)
  })

  test('[S2] a second hello is refused without closing', async () => {
    const peer = server().connect()
    await alice.hello(peer)
    const [error] = await peer.ask(await helloFor(alice.keys, peer.challenge))
    expect(error).toMatchObject({ code: ErrorCode.BAD_FRAME, fatal: false })
    expect(peer.socket.closed).toBeUndefined()
  })

  test('[S2] a socket that does not finish the handshake in time is closed', async () => {
    const peer = server({ limits: { handshakeTimeoutMs: 30 } }).connect()
    const [error] = await peer.next(1)
    expect(error).toMatchObject({ code: ErrorCode.NOT_AUTHENTICATED, fatal: true })
    expect(peer.socket.closed?.code).toBe(4004)
  })
})

describe('[S1] [P3] frames are binary CBOR, validated; a bad frame costs only a coded error', () => {
  test('[S1] a text frame is BAD_FRAME and the socket stays usable', async () => {
    const peer = server().connect()
    const [error] = await peer.ask(encodeFrame({ type: 'ping', t: 1 }), 1, false)
    expect(error).toMatchObject({ type: 'error', code: ErrorCode.BAD_FRAME, fatal: false })
    expect(await peer.ask({ type: 'ping', t: 2 })).toEqual([{ type: 'pong', t: 2 }])
  })

  test('[P3] garbage and schema-invalid frames are BAD_FRAME, non-fatal', async () => {
    const peer = server().connect()
    await alice.hello(peer)
    for (const bad of [new Uint8Array([0xff, 0x00]), encodeFrame({ type: 'ping', t: 1 }).subarray(0, 4)]) {
      const [error] = await peer.ask(bad)
      expect(error).toMatchObject({ code: ErrorCode.BAD_FRAME, fatal: false })
    }
    expect(await peer.ask({ type: 'ping', t: 3 })).toEqual([{ type: 'pong', t: 3 }])
    expect(peer.socket.closed).toBeUndefined()
  })
})

describe('[S6] limits', () => {
  test('[S6] a frame above maxFrameBytes gets FRAME_TOO_LARGE and the socket stays open', async () => {
    const peer = server({ limits: { maxFrameBytes: 1000 } }).connect()
    await alice.hello(peer)
    const [error] = await peer.ask({ type: 'push', id: 1, envelopes: [new Uint8Array(2000)] })
    expect(error).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE, fatal: false })
    expect(await peer.ask({ type: 'ping', t: 1 })).toEqual([{ type: 'pong', t: 1 }])
  })

  test('[S6] a push with more envelopes than the announced maxEnvelopesPerPush is refused', async () => {
    const srv = server({ limits: { maxEnvelopesPerPush: 2 } })
    const room = new Room()
    const peer = srv.connect()
    await alice.hello(peer)
    await room.join(peer)
    const envelopes = [await alice.envelope(room), await alice.envelope(room), await alice.envelope(room)]
    const [error] = await peer.ask({ type: 'push', id: 9, envelopes })
    expect(error).toMatchObject({ type: 'error', code: ErrorCode.FRAME_TOO_LARGE, fatal: false })
    expect(await srv.ctx.store.read(room.conv, room.doc, 0, 10)).toEqual([])
  })
})
