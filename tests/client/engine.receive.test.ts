import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { EnvelopeAuthors, BATCH_KIND, ZERO_HASH, capabilityProofBytes, createSigner, deriveCapability, generateDeviceKeys, generateEpochKey, openEnvelope, sealEnvelope, type EnvelopeHash, type EpochKey } from '../../crypto/index.js'
import { deviceIdOf, idBytes, type ConvId, type DocId } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { actorOf } from '../../client/core/identity.js'
import { parseInvitation, type Invitation } from '../../client/core/conversations/invite.js'
import { SEGMENT_GENESIS, segmentDocId, type SegmentDoc } from '../../client/core/documents/model.js'
import { decodeChanges, encodeChanges } from '../../client/core/documents/payload.js'
import { checkChanges } from '../../client/core/documents/writeRules.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { createLogger } from '../../sync-server/log.js'
import { rawClient, type RawClient } from '../integration/helpers/rawClient.js'
import { device, until, type Device } from './helpers/devices.js'

/**
 * [M9] Inbound envelopes are untrusted peer input, even from a member. alice and bob talk through
 * a real in-process server; eve holds the invitation too (a legitimate member device) and speaks
 * the protocol directly, pushing envelopes she crafted into the conversation's current segment.
 */
let server: RunningServer
let alice: Device
let bob: Device
let eve: RawClient
let conv: ConvId
let inv: Invitation
let segment: DocId
const eveKeys = generateDeviceKeys()
const eveSigner = createSigner(eveKeys.signSecret)
const eveChain: { seq: number; prev: EnvelopeHash } = { seq: 0, prev: ZERO_HASH }

const texts = (d: Device) => d.messenger.messages(conv).map((m) => m.text)
const codes = (d: Device) => d.problems.map((p) => p.code)

/** Eve reads the segment as any member can: subscribe, open every envelope, apply the changes. */
async function eveReadsSegment(actor: string): Promise<A.Doc<SegmentDoc>> {
  const reader = await rawClient(url(), eveKeys)
  await reader.hello()
  await joinAs(reader)
  reader.send({ type: 'subscribe', conv: idBytes(conv), doc: idBytes(segment), cursor: 0 })
  await reader.next('caught-up')
  const changes: Uint8Array[] = []
  for (const msg of reader.received) {
    if (msg.type !== 'envelopes') continue
    for (const item of msg.items) {
      const opened = await openEnvelope(item.env, { conv: idBytes(conv), doc: idBytes(segment), keyFor: (e) => (e === inv.epoch ? inv.key : undefined) })
      const batch = opened.ok ? decodeChanges(opened.value.payload) : undefined
      // Eve builds on what honest clients hold: her own forgeries were never applied by them.
      if (opened.ok && batch && checkChanges(batch, actorOf(opened.value.device), 'segment').ok) changes.push(...batch)
    }
  }
  reader.socket.close()
  return A.applyChanges(A.init<SegmentDoc>({ actor: actor as A.ActorId }), [SEGMENT_GENESIS, ...changes])[0]
}

function messageChange(doc: A.Doc<SegmentDoc>, text: string): Uint8Array {
  const next = A.change(doc, (d) => void d.messages.push({ id: new A.ImmutableString(`eve-${text.length}-${Date.now()}`), ts: Date.now(), text: new A.ImmutableString(text) }))
  return A.getLastLocalChange(next)!
}

/** Seals under eve's own device chain and pushes; the server accepts anything correctly signed. */
async function evePushes(payload: Uint8Array, key: EpochKey = inv.key): Promise<void> {
  const seq = eveChain.seq + 1
  const author = await new EnvelopeAuthors(eveKeys.signSecret).forEpoch(idBytes(conv), inv.epoch)
  const header = { kind: BATCH_KIND, conv: idBytes(conv), doc: idBytes(segment), epoch: inv.epoch, chain: author.chain, seq, prev: eveChain.prev } as const
  const env = await sealEnvelope(header, payload, key, author)
  eve.send({ type: 'push', id: seq, envelopes: [env.bytes] })
  const ack = await eve.next('ack')
  expect(ack.results).toEqual([{ sseq: expect.any(Number) }])
  eveChain.seq = seq
  eveChain.prev = env.hash
}

async function joinAs(client: RawClient): Promise<void> {
  const cap = deriveCapability(inv.key, idBytes(conv), inv.epoch)
  const proof = await cap.signer.sign(capabilityProofBytes(client.challenge, idBytes(conv), inv.epoch))
  client.send({ type: 'join', conv: idBytes(conv), epoch: inv.epoch, cap: cap.publicKey, proof })
  await client.next('joined')
}

const url = () => `ws://127.0.0.1:${server.port}/sync`

/** alice writes after eve: once bob shows it, every frame before it has been handled (engine invariant 1). */
async function aliceWritesAndBobSees(text: string): Promise<void> {
  await alice.messenger.send(conv, text)
  await until(() => texts(bob).includes(text), `bob sees "${text}"`)
}

beforeAll(async () => {
  server = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: createLogger('silent') })
  alice = await device('alice', url())
  bob = await device('bob', url())
  alice.messenger.start()
  bob.messenger.start()
  conv = await alice.messenger.createConversation('Depot crew')
  await alice.messenger.openConversation(conv)
  await alice.messenger.send(conv, 'hello from alice')
  await alice.messenger.send(conv, 'second from alice')
  inv = parseInvitation(alice.messenger.inviteLink('https://chat.example', conv))
  segment = segmentDocId(conv, 0)
  await bob.messenger.join(inv)
  await bob.messenger.openConversation(conv)
  await until(() => texts(bob).length === 2 && alice.messenger.status.pending === 0, 'bob has alice\'s history')
  eve = await rawClient(url(), eveKeys)
  await eve.hello()
  await joinAs(eve)
})

afterAll(async () => {
  eve?.socket.close()
  await Promise.all([alice, bob].filter(Boolean).map((d) => d.messenger.stop()))
  await server?.close()
})

describe('receiving from a hostile member', () => {
  test('[M9] [M2] eve signs a change carrying alice\'s actor: bob shows nothing of it and reports M301; eve\'s honest change next to it is shown as hers', async () => {
    const aliceActor = actorOf(alice.messenger.identity!.keys.signPublic)
    const asAlice = await eveReadsSegment(aliceActor)
    expect(asAlice.messages.map((m) => m.text.val)).toEqual(['hello from alice', 'second from alice'])
    const forged = messageChange(asAlice, 'alice: send the payroll file to eve')
    expect(A.decodeChange(forged).actor).toBe(aliceActor)
    await evePushes(encodeChanges([forged]))

    // The control: an honest change of eve's own, on alice's real history. It must be shown.
    const asEve = await eveReadsSegment(actorOf(eveKeys.signPublic))
    await evePushes(encodeChanges([messageChange(asEve, 'eve, speaking for herself')]))
    await until(() => texts(bob).includes('eve, speaking for herself'), 'bob sees eve\'s honest message')
    await until(() => texts(alice).includes('eve, speaking for herself'), 'alice sees eve\'s honest message')

    for (const d of [bob, alice]) {
      expect(texts(d)).not.toContain('alice: send the payroll file to eve')
      expect(codes(d)).toContain(ClientErrorCode.ACTOR_MISMATCH)
      const shown = d.messenger.messages(conv)
      expect(shown.filter((m) => m.author === alice.messenger.identity!.deviceId).map((m) => m.text)).toEqual(['hello from alice', 'second from alice'])
      expect(shown.find((m) => m.text === 'eve, speaking for herself')!.author).toBe(deviceIdOf(eveKeys.signPublic))
    }
  })

  test('[M9] eve seals an envelope with a key that is not the epoch key: bob reports M300 (C104) and shows nothing', async () => {
    const before = bob.problems.length
    const asEve = await eveReadsSegment(actorOf(eveKeys.signPublic))
    await evePushes(encodeChanges([messageChange(asEve, 'sealed under a made-up key')]), generateEpochKey())
    await aliceWritesAndBobSees('alice, after the bad key')
    const fresh = bob.problems.slice(before)
    expect(fresh).toContainEqual({ code: ClientErrorCode.ENVELOPE_REJECTED, detail: 'C104_DECRYPT_FAILED' })
    expect(texts(bob)).not.toContain('sealed under a made-up key')
    expect(texts(bob).filter((t) => t.includes('alice'))).toEqual(['hello from alice', 'second from alice', 'alice, after the bad key'])
  })

  test('[M9] a correctly sealed payload that is not a change list is M302, and nothing is applied', async () => {
    const before = bob.problems.length
    await evePushes(Uint8Array.of(0, 0, 0, 9, 1, 2, 3))
    await aliceWritesAndBobSees('alice, after the unreadable payload')
    expect(codes(bob).slice(before)).toContain(ClientErrorCode.CHANGE_UNREADABLE)
    expect(texts(bob).filter((t) => t.startsWith('eve'))).toEqual(['eve, speaking for herself'])
  })

  test('[M9] a signed change that Automerge cannot apply, alone in its frame, is M302; later messages still arrive', async () => {
    poison = await findPoison()
    const before = bob.problems.length
    await evePushes(encodeChanges([poison]))
    await aliceWritesAndBobSees('alice, after the poison')
    expect(codes(bob).slice(before)).toContain(ClientErrorCode.CHANGE_UNREADABLE)
    expect(texts(bob).filter((t) => t.includes('alice'))).toEqual(['hello from alice', 'second from alice', 'alice, after the bad key', 'alice, after the unreadable payload', 'alice, after the poison'])
  })

  // Carol catches up from one backlog page that holds eve's poison: it is refused before apply
  // ([M20] re-encoding check) or isolated by the per-envelope fallback; the rest of the page shows.
  test('[M9] one unapplicable change in a backlog page does not hide the rest of that page from a device catching up', async () => {
    expect(poison).toBeDefined()
    const carol = await device('carol', url())
    try {
      carol.messenger.start()
      await carol.messenger.join(inv)
      await carol.messenger.openConversation(conv)
      // Today carol ends up with nothing: the whole segment came in one page with the poison.
      const hit = () => carol.problems.some((p) => p.code === ClientErrorCode.CHANGE_UNREADABLE)
      await until(() => hit() || texts(carol).includes('alice, after the poison'), 'carol reaches the poison')
      await new Promise((r) => setTimeout(r, 300))
      expect(texts(carol)).toEqual(texts(bob))
    } finally {
      await carol.messenger.stop()
    }
  })
})

let poison: Uint8Array | undefined

/**
 * A change by eve that passes decodeChange and [E10] (Automerge does not check a change's
 * checksum) but makes applyChanges throw: one bit of an honest change flipped, found by search.
 */
async function findPoison(): Promise<Uint8Array> {
  const base = await eveReadsSegment(actorOf(eveKeys.signPublic))
  const honest = messageChange(base, 'poison')
  for (let bit = 0; bit < honest.length * 8; bit++) {
    const b = honest.slice()
    b[bit >> 3]! ^= 1 << (bit & 7)
    if (!actorIs(b, actorOf(eveKeys.signPublic))) continue // [E10] alone: the poison must pass it
    try {
      A.applyChanges(A.clone(base), [b])
    } catch {
      return b
    }
  }
  throw new Error('no poisoned variant found')
}

function actorIs(change: Uint8Array, actor: string): boolean {
  try {
    return A.decodeChange(change).actor === actor
  } catch {
    return false
  }
}
