import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encode } from 'cbor-x'
import {
  BATCH_KIND, EnvelopeAuthors, ZERO_HASH, capabilityProofBytes, conversationIdOf, createSigner, deriveAdminCapability, deriveCapability, deviceAuthBytes, generateDeviceKeys, generateEpochKey,
  randomBytes, sealEnvelope,
} from '../../crypto/index.js'
import { ErrorCode, PROTOCOL_VERSION, encodeFrame } from '../../protocol/index.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { helloFor } from '../helpers/hello.js'
import { rawClient, type RawClient } from './helpers/rawClient.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

let server: ServerProcess
let alice: Persona
let bob: Persona
let conv: Parameters<Persona['messenger']['send']>[0]

beforeAll(async () => {
  server = await startServerProcess()
  alice = await persona('Alice', server.url)
  bob = await persona('Bob', server.url)
  alice.messenger.start()
  bob.messenger.start()
  conv = await conversationWith(alice, [bob], 'Ops')
})
afterAll(async () => {
  await closePersona(alice)
  await closePersona(bob)
  await server.kill()
})

async function stillServing(label: string): Promise<void> {
  await alice.messenger.send(conv, label)
  await until(() => texts(bob, conv).includes(label), `"${label}" delivered to Bob`)
  expect((await fetch(`${server.httpUrl}/healthz`)).ok).toBe(true)
}

async function expectError(client: RawClient, code: number): Promise<void> {
  const err = await client.next('error')
  expect(err.code).toBe(code)
}

describe('malformed, truncated and oversized frames get coded errors on that socket only', () => {
  test('[P3][S6] text frame, random bytes, truncated CBOR, unknown type, extra field → BAD_FRAME, socket stays open', async () => {
    const c = await rawClient(server.url)
    await c.hello()
    const valid = encodeFrame({ type: 'ping', t: 1 })
    for (const frame of ['hello', randomBytes(300), valid.subarray(0, valid.length - 2), encode({ type: 'launch', x: 1 }), encode({ type: 'ping', t: 1, extra: true }), encode([1, 2, 3])]) {
      c.sendRaw(frame)
      await expectError(c, ErrorCode.BAD_FRAME)
    }
    c.send({ type: 'ping', t: 42 })
    expect((await c.next('pong')).t).toBe(42)
    c.socket.close()
    await stillServing('after garbage')
  })

  test('[S6] issue 9 defect 4: answers keep arrival order — a valid frame followed at once by a malformed byte gets its answer before the error (20 of 20)', async () => {
    const c = await rawClient(server.url)
    await c.hello()
    for (let i = 0; i < 20; i++) {
      const before = c.received.length
      c.send({ type: 'ping', t: 1000 + i })
      c.sendRaw(Uint8Array.of(0xff))
      await expectError(c, ErrorCode.BAD_FRAME)
      const answers = c.received.slice(before).map((m) => m.type)
      expect(answers.slice(0, 2), `trial ${i}`).toEqual(['pong', 'error'])
    }
    c.socket.close()
  })

  test('[P4] issue 9 defect 1: the 24-byte self-referencing tag frame and a 100 KB bignum tag, before authentication, get BAD_FRAME and freeze nothing', async () => {
    const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)))
    const bignum = new Uint8Array(6 + 100_000)
    bignum.set(hex('c25a000186a0'))
    for (const frame of [hex(`d81c87${'d81d00'.repeat(7)}`), hex(`d81c88${'d81d00'.repeat(8)}`), bignum]) {
      const c = await rawClient(server.url)
      c.sendRaw(frame)
      await expectError(c, ErrorCode.BAD_FRAME)
      // The event loop was never blocked: the server answers a health check and delivers at once.
      expect((await fetch(`${server.httpUrl}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok).toBe(true)
      c.socket.close()
    }
    await stillServing('after tag frames')
  })

  test('[S6] a frame over the size limit → FRAME_TOO_LARGE, the socket stays usable', async () => {
    const c = await rawClient(server.url)
    await c.hello()
    c.sendRaw(new Uint8Array(4 * 1024 * 1024 + 10))
    await expectError(c, ErrorCode.FRAME_TOO_LARGE)
    c.send({ type: 'ping', t: 7 })
    expect((await c.next('pong')).t).toBe(7)
    c.socket.close()
    await stillServing('after oversized')
  })

  test('[P1] a wrong protocol version is refused with VERSION_MISMATCH and the socket closed', async () => {
    const c = await rawClient(server.url)
    c.send(await helloFor(c.keys, c.challenge, { v: PROTOCOL_VERSION + 1 }))
    await expectError(c, ErrorCode.VERSION_MISMATCH)
    await c.closed()
  })

  test('[S2] requests before the handshake and forged device proofs are refused', async () => {
    const early = await rawClient(server.url)
    early.send({ type: 'subscribe', conv: randomBytes(16), doc: randomBytes(16), cursor: 0 })
    await expectError(early, ErrorCode.NOT_AUTHENTICATED)
    await early.closed()

    const forger = await rawClient(server.url)
    const victim = generateDeviceKeys()
    const proof = await createSigner(forger.keys.signSecret).sign(deviceAuthBytes(forger.challenge, victim.signPublic))
    forger.send(await helloFor(forger.keys, forger.challenge, { device: victim.signPublic, proof }))
    await expectError(forger, ErrorCode.AUTH_FAILED)
    await forger.closed()
    await stillServing('after forged hello')
  })

  test('[S3][S4][S12] push without joining, under another epoch, garbage envelopes get per-envelope codes', async () => {
    const c = await rawClient(server.url)
    await c.hello()
    const key = generateEpochKey()
    const origin = randomBytes(16)
    const convBytes = conversationIdOf(c.keys.signPublic, origin) // c creates it ([K6])
    const authors = new EnvelopeAuthors(c.keys.signSecret)
    const seal = async (epoch: number) => {
      const author = await authors.forEpoch(convBytes, epoch)
      return sealEnvelope({ kind: BATCH_KIND, conv: convBytes, doc: randomBytes(16), epoch, chain: author.chain, seq: 1, prev: ZERO_HASH }, new Uint8Array(10), key, author)
    }
    const mine = await seal(0)
    c.send({ type: 'push', id: 1, envelopes: [mine.bytes, randomBytes(500)] })
    expect((await c.next('ack')).results).toEqual([{ code: ErrorCode.NOT_JOINED }, { code: ErrorCode.BAD_ENVELOPE }])

    const cap = deriveCapability(key, convBytes, 0)
    const admin = deriveAdminCapability(randomBytes(32), convBytes).publicKey
    c.send({ type: 'join', conv: convBytes, epoch: 0, cap: cap.publicKey, proof: await cap.signer.sign(capabilityProofBytes(c.challenge, convBytes, 0)), admin, origin })
    await c.next('joined')
    const tampered = mine.bytes.slice()
    tampered[tampered.length - 1]! ^= 1
    const otherEpoch = await seal(1)
    c.send({ type: 'push', id: 2, envelopes: [tampered, mine.bytes, mine.bytes, otherEpoch.bytes] })
    const ack = await c.next('ack')
    expect(ack.results[0]).toEqual({ code: ErrorCode.BAD_ENVELOPE })
    expect(ack.results[3]).toEqual({ code: ErrorCode.STALE_EPOCH })
    expect(ack.results[1]).toEqual(ack.results[2]) // duplicate acked idempotently with the same sseq
    expect(ack.results[1]).toHaveProperty('sseq')
    c.socket.close()
    await stillServing('after bad pushes')
  })

  test('[S3] a capability proof for a conversation registered with another key is refused', async () => {
    const c = await rawClient(server.url)
    await c.hello()
    const convBytes = Uint8Array.from(Buffer.from(conv, 'base64url'))
    const cap = deriveCapability(generateEpochKey(), convBytes, 0)
    c.send({ type: 'join', conv: convBytes, epoch: 0, cap: cap.publicKey, proof: await cap.signer.sign(capabilityProofBytes(c.challenge, convBytes, 0)) })
    await expectError(c, ErrorCode.CAPABILITY_REJECTED)
    c.send({ type: 'subscribe', conv: convBytes, doc: convBytes, cursor: 0 })
    await expectError(c, ErrorCode.NOT_JOINED)
    expect(c.received.some((m) => m.type === 'envelopes')).toBe(false)
    c.socket.close()
  })
})
