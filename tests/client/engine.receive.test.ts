import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { EnvelopeAuthors, BATCH_KIND, ZERO_HASH, capabilityProofBytes, deriveCapability, generateDeviceKeys, generateEpochKey, openEnvelope, sealEnvelope, toHex, type DeviceKeys, type EnvelopeHash, type EpochKey } from '../../crypto/index.js'
import { deviceIdOf, idBytes, type ConvId, type DocId } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { actorOf } from '../../client/core/identity.js'
import { SEGMENT_GENESIS, segmentDocId, type SegmentDoc } from '../../client/core/documents/model.js'
import { decodeChanges, encodeChanges } from '../../client/core/documents/payload.js'
import { checkChanges } from '../../client/core/documents/writeRules.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { createLogger } from '../../sync-server/log.js'
import { rawClient, type RawClient } from '../integration/helpers/rawClient.js'
import { keysServerAccepts } from '../integration/helpers/capability.js'
import { device, until, type Device } from './helpers/devices.js'

/**
 * [M9] Inbound envelopes are untrusted peer input, even from a member. alice, bob and eve talk
 * through a real in-process server; eve is a real member (admitted to alice's conversation by
 * invitation, so she is a recipient of its current epoch, [M26]) who also speaks the protocol
 * directly with her own device keys, pushing envelopes she crafted into the conversation's
 * current segment under the epoch key she holds.
 */
let server: RunningServer
let alice: Device
let bob: Device
let eve: Device
/** eve's hand-made client: her own device keys, speaking the protocol directly. */
let eveRaw: RawClient
let eveKeys: DeviceKeys
let conv: ConvId
/** The epoch eve writes under (the server's current one, with eve among its recipients) and its key. */
let epoch: number
let key: EpochKey
let segment: DocId
const eveChain: { seq: number; prev: EnvelopeHash } = { seq: 0, prev: ZERO_HASH }

const texts = (d: Device) => d.messenger.messages(conv).map((m) => m.text)
const codes = (d: Device) => d.problems.map((p) => p.code)

/** A device answers a one-time invitation of alice's and is admitted by her (online) device. */
async function admit(d: Device): Promise<void> {
  await d.messenger.join((await alice.messenger.invite(conv, 'https://chat.example')).link)
  await until(() => d.messenger.conversations().some((c) => c.conv === conv), `${d.name} is admitted`)
  await d.messenger.openConversation(conv)
}

/**
 * The epoch eve writes under: the one among the keys she holds that the server accepts now,
 * once alice's, bob's and eve's graphs all make eve's device a recipient of it ([M26]).
 */
async function eveCurrentEpoch(): Promise<{ epoch: number; key: EpochKey }> {
  const me = toHex(eve.messenger.identity!.keys.signPublic)
  let found: { epoch: number; key: Uint8Array } | undefined
  await until(async () => {
    const held = eve.messenger.epochKeys(conv)
    const [accepted] = await keysServerAccepts(url(), conv, held)
    found = held.find((k) => k.epoch === accepted)
    return !!found && [alice, bob, eve].every((d) => d.messenger.team.memberOfEpoch(conv, found!.epoch, me) === true)
  }, 'the server is at an epoch eve is a member of')
  return { epoch: found!.epoch, key: found!.key as EpochKey }
}

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
      // Every key eve holds: alice's first messages were written under an earlier epoch.
      const held = new Map(eve.messenger.epochKeys(conv).map((k) => [k.epoch, k.key as EpochKey]))
      const opened = await openEnvelope(item.env, { conv: idBytes(conv), doc: idBytes(segment), keyFor: (e) => held.get(e) })
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

/**
 * Seals under the chain of `client`'s device for the epoch and pushes; the server accepts
 * anything correctly signed under the epoch the connection joined at.
 */
async function pushAs(client: RawClient, chain: { seq: number; prev: EnvelopeHash }, payload: Uint8Array, sealKey: EpochKey = key, doc: DocId = segment): Promise<void> {
  const seq = chain.seq + 1
  const author = await new EnvelopeAuthors(client.keys.signSecret).forEpoch(idBytes(conv), epoch)
  const header = { kind: BATCH_KIND, conv: idBytes(conv), doc: idBytes(doc), epoch, chain: author.chain, seq, prev: chain.prev } as const
  const env = await sealEnvelope(header, payload, sealKey, author)
  client.send({ type: 'push', id: seq, envelopes: [env.bytes] })
  const ack = await client.next('ack')
  expect(ack.results).toEqual([{ sseq: expect.any(Number) }])
  chain.seq = seq
  chain.prev = env.hash
}

const evePushes = (payload: Uint8Array, sealKey: EpochKey = key) => pushAs(eveRaw, eveChain, payload, sealKey)

async function joinAs(client: RawClient): Promise<void> {
  const cap = deriveCapability(key, idBytes(conv), epoch)
  const proof = await cap.signer.sign(capabilityProofBytes(client.challenge, idBytes(conv), epoch))
  client.send({ type: 'join', conv: idBytes(conv), epoch, cap: cap.publicKey, proof })
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
  eve = await device('eve', url())
  for (const d of [alice, bob, eve]) d.messenger.start()
  conv = await alice.messenger.createConversation('Depot crew')
  await alice.messenger.openConversation(conv)
  await alice.messenger.send(conv, 'hello from alice')
  await alice.messenger.send(conv, 'second from alice')
  segment = segmentDocId(conv, 0)
  await admit(bob)
  await until(() => texts(bob).length === 2 && alice.messenger.status.pending === 0, 'bob has alice\'s history')
  await admit(eve)
  await until(() => texts(eve).length === 2, 'eve has alice\'s history')
  eveKeys = eve.messenger.identity!.keys
  ;({ epoch, key } = await eveCurrentEpoch())
  eveRaw = await rawClient(url(), eveKeys)
  await eveRaw.hello()
  await joinAs(eveRaw)
})

afterAll(async () => {
  eveRaw?.socket.close()
  await Promise.all([alice, bob, eve].filter(Boolean).map((d) => d.messenger.stop()))
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
      // eve is a member of the epoch she wrote under: nothing of hers was dropped for that ([M26]).
      expect(codes(d)).not.toContain(ClientErrorCode.NOT_EPOCH_MEMBER)
      const shown = d.messenger.messages(conv)
      expect(shown.filter((m) => m.author === alice.messenger.identity!.deviceId).map((m) => m.text)).toEqual(['hello from alice', 'second from alice'])
      expect(shown.find((m) => m.text === 'eve, speaking for herself')!.author).toBe(eve.messenger.identity!.deviceId)
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

  // [M26] The epoch key leaked to a device outside the membership graph: the server takes its
  // pushes (it holds the capability), but no member shows them, however honest the change.
  test('[M26] an envelope signed by a device that is not a member of the epoch, under the leaked epoch key, is dropped with M304 and nothing of it is shown', async () => {
    const outsiderKeys = generateDeviceKeys()
    const outsider = await rawClient(url(), outsiderKeys)
    try {
      await outsider.hello()
      await joinAs(outsider)
      const before = { alice: alice.problems.length, bob: bob.problems.length }
      // An honest change of its own (its own actor, on the real history): only [M26] refuses it.
      const base = await eveReadsSegment(actorOf(outsiderKeys.signPublic))
      await pushAs(outsider, { seq: 0, prev: ZERO_HASH }, encodeChanges([messageChange(base, 'outsider with a leaked key')]))
      await aliceWritesAndBobSees('alice, after the outsider')
      await until(() => texts(alice).includes('alice, after the outsider'), 'alice shows her own message')
      for (const [d, from] of [[bob, before.bob], [alice, before.alice]] as const) {
        expect(d.problems.slice(from)).toEqual([{ code: ClientErrorCode.NOT_EPOCH_MEMBER, detail: `epoch ${epoch}` }])
        expect(texts(d)).not.toContain('outsider with a leaked key')
        expect(d.messenger.messages(conv).some((m) => m.author === deviceIdOf(outsiderKeys.signPublic))).toBe(false)
      }
    } finally {
      outsider.socket.close()
    }
  })

  // Carol catches up from one backlog page that holds eve's poison: it is refused before apply
  // ([M20] re-encoding check) or isolated by the per-envelope fallback; the rest of the page shows.
  test('[M9] one unapplicable change in a backlog page does not hide the rest of that page from a device catching up', async () => {
    expect(poison).toBeDefined()
    const carol = await device('carol', url())
    try {
      carol.messenger.start()
      await admit(carol)
      // Today carol ends up with nothing: the whole segment came in one page with the poison.
      const hit = () => carol.problems.some((p) => p.code === ClientErrorCode.CHANGE_UNREADABLE)
      await until(() => hit() || texts(carol).includes('alice, after the poison'), 'carol reaches the poison')
      await new Promise((r) => setTimeout(r, 300))
      expect(texts(carol)).toEqual(texts(bob))
    } finally {
      await carol.messenger.stop()
    }
  })

  // [M11a] Every device is subscribed to the segment after its newest, before any root change
  // names it: a new segment's first messages come live. Eve writes there and never announces it
  // (a root change still in transit, as far as the others can tell).
  test('[M11a] a message in the next segment reaches the online devices live, before any root change names that segment', async () => {
    const next = segmentDocId(conv, 1)
    const fresh = A.applyChanges(A.init<SegmentDoc>({ actor: actorOf(eveKeys.signPublic) as A.ActorId }), [SEGMENT_GENESIS])[0]
    // Carol's admission may have moved the conversation on: eve writes at the epoch the server is at.
    const was = epoch
    ;({ epoch, key } = await eveCurrentEpoch())
    const chain = epoch === was ? eveChain : { seq: 0, prev: ZERO_HASH }
    const writer = await rawClient(url(), eveKeys)
    await writer.hello()
    await joinAs(writer)
    await pushAs(writer, chain, encodeChanges([messageChange(fresh, 'first of the next segment')]), key, next)
    writer.socket.close()
    await until(() => texts(bob).includes('first of the next segment') && texts(alice).includes('first of the next segment'), 'alice and bob show the next segment\'s first message')
    // Shown as eve's (the signer's), like any segment's message.
    const shown = bob.messenger.messages(conv).find((m) => m.text === 'first of the next segment')!
    expect(shown.author).toBe(eve.messenger.identity!.deviceId)
    await aliceWritesAndBobSees('alice, after the next segment')
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
