import * as A from '@automerge/automerge'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { BATCH_KIND, EnvelopeAuthors, ZERO_HASH, bytesEqual, hashOfEnvelope, openEnvelope, sealEnvelope, splitEnvelope, toHex, type EnvelopeHash, type EpochKey, type SealedEnvelope } from '../../crypto/index.js'
import { idBytes, type ConvId, type DocId } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { actorOf } from '../../client/core/identity.js'
import { SEGMENT_GENESIS, segmentDocId, type SegmentDoc } from '../../client/core/documents/model.js'
import { decodeChanges, encodeChanges } from '../../client/core/documents/payload.js'
import { checkChanges } from '../../client/core/documents/writeRules.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { createLogger } from '../../sync-server/log.js'
import { device, until, type Device } from '../client/helpers/devices.js'

/**
 * protocol [S12]: an honest server stores a document's envelopes only under the conversation's
 * current epoch, so within one document's stream the epochs only move forward in graph order.
 * A *malicious* server can still store a removed member's envelope under the old epoch after the
 * rotation. Here the "server" is a real in-process server whose store the test writes into
 * directly (as a server that skipped its [S12] check would): carol, a real member, prepares an
 * honest-looking envelope under epoch E with her own device keys (a modified client), alice
 * removes her (rotation to E2), and the store takes carol's envelope afterwards.
 *
 * Detected: someone already wrote under E2 in that document, so a reader of the stream sees E
 * after E2 and reports M305 without applying it. Not detected (documented limit of [S12]): the
 * late envelope is the first one after the rotation in its document.
 */
let server: RunningServer
let store: ChangeStore
const devices: Device[] = []
const url = () => `ws://127.0.0.1:${server.port}/sync`

const texts = (d: Device, conv: ConvId) => d.messenger.messages(conv).map((m) => m.text)
const codes = (d: Device) => d.problems.map((p) => p.code)
const hexOf = (d: Device) => toHex(d.messenger.identity!.keys.signPublic)
const currentEpoch = (d: Device, conv: ConvId) => d.messenger.team.core.spaces.state(conv)?.current?.epoch

async function newDevice(name: string): Promise<Device> {
  const d = await device(name, url())
  d.messenger.start()
  devices.push(d)
  return d
}

/** alice's conversation with bob and carol admitted by one-time invitation, everyone has talked. */
async function crew(title: string): Promise<{ alice: Device; bob: Device; carol: Device; conv: ConvId; segment: DocId }> {
  const [alice, bob, carol] = await Promise.all([`alice-${title}`, `bob-${title}`, `carol-${title}`].map(newDevice)) as [Device, Device, Device]
  const conv = await alice.messenger.createConversation(title)
  for (const d of [bob, carol]) await d.messenger.join((await alice.messenger.invite(conv, 'http://x')).link)
  await until(() => [alice, bob, carol].every((d) => d.messenger.conversations().some((c) => c.conv === conv && c.members === 3)), `${title}: everyone in`)
  for (const d of [alice, bob, carol]) await d.messenger.openConversation(conv)
  for (const d of [alice, bob, carol]) {
    await d.messenger.send(conv, `${d.name} says hi`)
    await until(() => [alice, bob, carol].every((r) => texts(r, conv).includes(`${d.name} says hi`)), `${title}: everyone sees ${d.name}`)
  }
  await until(() => [alice, bob, carol].every((d) => d.messenger.status.pending === 0), `${title}: nothing pending`)
  return { alice, bob, carol, conv, segment: segmentDocId(conv, 0) }
}

/**
 * The epoch E the server is at, once every graph makes carol a member of it and carol holds its
 * key: the epoch her modified client seals her late envelope under.
 */
async function epochCarolWritesUnder(conv: ConvId, all: readonly Device[], carol: Device): Promise<{ epoch: number; key: EpochKey }> {
  let found: { epoch: number; key: EpochKey } | undefined
  await until(async () => {
    const epoch = (await store.getConv(idBytes(conv)))?.epoch
    const key = carol.messenger.epochKeys(conv).find((k) => k.epoch === epoch)?.key
    found = epoch !== undefined && key ? { epoch, key: key as EpochKey } : undefined
    return !!found && currentEpoch(carol, conv) === epoch && all.every((d) => d.messenger.team.memberOfEpoch(conv, epoch!, hexOf(carol)) === true)
  }, 'the server is at an epoch carol is a member of')
  return found!
}

/** Everything stored for `doc`, ascending sseq (what any reader fetches). */
const stream = async (conv: ConvId, doc: DocId) => store.read(idBytes(conv), idBytes(doc), 0, 100_000)

/**
 * Carol's modified client: reads the segment as a member can (every envelope opened with the keys
 * she holds), and seals a message of hers, her own actor on top of the real history, under E with
 * her chain for E, continuing that chain in the document (seq and prev from the stored stream).
 */
async function carolPrepares(carol: Device, conv: ConvId, segment: DocId, epoch: number, key: EpochKey, text: string): Promise<{ sealed: SealedEnvelope; seq: number; prev: EnvelopeHash; chain: Uint8Array }> {
  const keys = carol.messenger.identity!.keys
  const author = await new EnvelopeAuthors(keys.signSecret).forEpoch(idBytes(conv), epoch)
  const held = new Map(carol.messenger.epochKeys(conv).map((k) => [k.epoch, k.key as EpochKey]))
  const changes: Uint8Array[] = []
  let last = { seq: 0, prev: ZERO_HASH as EnvelopeHash }
  for (const { bytes } of await stream(conv, segment)) {
    const parts = splitEnvelope(bytes)!
    if (bytesEqual(parts.header.chain, author.chain) && parts.header.seq > last.seq) last = { seq: parts.header.seq, prev: hashOfEnvelope(parts) }
    const opened = await openEnvelope(bytes, { conv: idBytes(conv), doc: idBytes(segment), keyFor: (e) => held.get(e) })
    const batch = opened.ok ? decodeChanges(opened.value.payload) : undefined
    if (opened.ok && batch && checkChanges(batch, actorOf(opened.value.device), 'segment').ok) changes.push(...batch)
  }
  // She wrote "... says hi" under E in this document: her chain for E is already there.
  expect(last.seq).toBeGreaterThan(0)
  const base = A.applyChanges(A.init<SegmentDoc>({ actor: actorOf(keys.signPublic) as A.ActorId }), [SEGMENT_GENESIS, ...changes])[0]
  expect(base.messages.length).toBe(3)
  const next = A.change(base, (d) => void d.messages.push({ id: new A.ImmutableString(`late-${Date.now()}`), ts: Date.now(), text: new A.ImmutableString(text) }))
  const payload = encodeChanges([A.getLastLocalChange(next)!])
  const seq = last.seq + 1
  const header = { kind: BATCH_KIND, conv: idBytes(conv), doc: idBytes(segment), epoch, chain: author.chain, seq, prev: last.prev } as const
  return { sealed: await sealEnvelope(header, payload, key, author), seq, prev: last.prev, chain: author.chain }
}

/** alice removes carol; resolves with E2 once alice's and bob's graphs are at it and bob holds its key. */
async function aliceRemovesCarol(alice: Device, bob: Device, carol: Device, conv: ConvId, before: number): Promise<number> {
  await alice.messenger.removeMember(conv, carol.messenger.identity!.deviceId)
  let after: number | undefined
  await until(async () => {
    after = currentEpoch(alice, conv)
    return after !== undefined && after !== before && currentEpoch(bob, conv) === after && bob.messenger.epochKeys(conv).some((k) => k.epoch === after) && (await store.getConv(idBytes(conv)))?.epoch === after
  }, 'the removal rotation is on every remaining graph and at the server')
  await until(() => carol.messenger.accessLost(conv), 'carol is told she lost access')
  return after!
}

/** A new member admitted after the removal: reads the document's whole stream from sseq 0. */
async function admitAfterRemoval(alice: Device, conv: ConvId, name: string): Promise<Device> {
  const d = await newDevice(name)
  await d.messenger.join((await alice.messenger.invite(conv, 'http://x')).link)
  await until(() => d.messenger.conversations().some((c) => c.conv === conv), `${name} is admitted`)
  await d.messenger.openConversation(conv)
  return d
}

/** What the reader would do without [S12]'s stream order check: the envelope passes every other check. */
async function passesOtherChecks(reader: Device, conv: ConvId, segment: DocId, sealed: SealedEnvelope, epoch: number, carol: Device): Promise<void> {
  const held = new Map(reader.messenger.epochKeys(conv).map((k) => [k.epoch, k.key as EpochKey]))
  const opened = await openEnvelope(sealed.bytes, { conv: idBytes(conv), doc: idBytes(segment), keyFor: (e) => held.get(e) })
  expect(opened.ok).toBe(true)
  if (!opened.ok) return
  expect(toHex(opened.value.device)).toBe(hexOf(carol))
  // [M26] alone would show it: carol WAS a recipient of E.
  expect(reader.messenger.team.memberOfEpoch(conv, epoch, hexOf(carol))).toBe(true)
  const batch = decodeChanges(opened.value.payload)
  expect(batch && checkChanges(batch, actorOf(opened.value.device), 'segment').ok).toBe(true)
}

/**
 * The detected case set up: carol prepares under E, alice removes her (E2) and writes under E2 in
 * the segment, then the store takes carol's late envelope behind the server's back.
 */
async function lateAfterE2(title: string) {
  const { alice, bob, carol, conv, segment } = await crew(title)
  const { epoch: e1, key } = await epochCarolWritesUnder(conv, [alice, bob, carol], carol)
  const late = `carol, late in ${title}: wire the deposit to my account`
  const prepared = await carolPrepares(carol, conv, segment, e1, key, late)

  const e2 = await aliceRemovesCarol(alice, bob, carol, conv, e1)
  await alice.messenger.send(conv, 'alice, after carol left')
  await until(() => texts(bob, conv).includes('alice, after carol left'), 'bob sees alice\'s message under E2')
  // An envelope under E2 is in the segment's stream, stored before carol's late one.
  const before = await stream(conv, segment)
  expect(before.some(({ bytes }) => splitEnvelope(bytes)!.header.epoch === e2)).toBe(true)

  // An honest server refuses a push under E now ([S12], 1205); this one stores it anyway.
  await maliciousStore(conv, segment, prepared)
  const after = await stream(conv, segment)
  expect(after.length).toBe(before.length + 1)
  expect(splitEnvelope(after.at(-1)!.bytes)!.header.epoch).toBe(e1)
  const honest = [`alice-${title} says hi`, `bob-${title} says hi`, `carol-${title} says hi`, 'alice, after carol left']
  return { alice, bob, carol, conv, segment, e1, e2, late, prepared, honest }
}

/** The malicious server's write: straight into the store, past the connection's [S12] check. */
async function maliciousStore(conv: ConvId, segment: DocId, prepared: Awaited<ReturnType<typeof carolPrepares>>): Promise<void> {
  const [stored] = await store.append([{ kind: 1, conv: idBytes(conv), doc: idBytes(segment), chain: prepared.chain, seq: prepared.seq, prev: prepared.prev, hash: prepared.sealed.hash, bytes: prepared.sealed.bytes }])
  expect(stored).toMatchObject({ ok: true, duplicate: false })
}

beforeAll(async () => {
  store = openMemoryStore()
  server = await startSyncServer({ port: 0, host: '127.0.0.1', store, log: createLogger('silent') })
})

afterAll(async () => {
  await Promise.all(devices.map((d) => d.messenger.stop()))
  await server?.close()
})

describe('[S12] a malicious server stores a removed member\'s envelope under the old epoch after the rotation', () => {
  test('[S12][M26] after alice wrote under E2 in the segment, carol\'s late envelope under E is reported M305 by a reader of the backlog and never shown', async () => {
    const { alice, bob, carol, conv, segment, e1, e2, late, prepared, honest } = await lateAfterE2('Depot')

    // dave, admitted after the removal, fetches the segment's whole backlog.
    const dave = await admitAfterRemoval(alice, conv, 'dave-Depot')
    await until(() => honest.every((t) => texts(dave, conv).includes(t)), 'dave shows every honest message')
    await until(() => codes(dave).includes(ClientErrorCode.LATE_ENVELOPE), 'dave reports the late envelope')

    // The precondition: E ranks before E2, and nothing but the stream order check refuses it.
    const rank = (e: number) => dave.messenger.team.epochRank(conv, e)
    expect(rank(e1)).toBeDefined()
    expect(rank(e1)!).toBeLessThan(rank(e2)!)
    await passesOtherChecks(dave, conv, segment, prepared.sealed, e1, carol)

    await new Promise((r) => setTimeout(r, 300))
    expect(texts(dave, conv)).not.toContain(late)
    expect(texts(dave, conv).sort()).toEqual([...honest].sort())
    expect(dave.problems.filter((p) => p.code === ClientErrorCode.LATE_ENVELOPE)).toEqual([{ code: ClientErrorCode.LATE_ENVELOPE, detail: `epoch ${e1}` }])
    expect(codes(dave)).not.toContain(ClientErrorCode.NOT_EPOCH_MEMBER)
    // carol's honest message under E, before the rotation, stays shown under her name.
    expect(dave.messenger.messages(conv).find((m) => m.text === 'carol-Depot says hi')!.author).toBe(carol.messenger.identity!.deviceId)
    // The live devices were never sent it (the store was written behind the server's back).
    for (const d of [alice, bob]) expect(texts(d, conv)).not.toContain(late)

    // The control: erin, admitted the same way but whose client does not rank epochs (so the
    // stream order check never judges), shows carol's late words: [M26] and the rest let them by.
    const erin = await newDevice('erin-Depot')
    erin.messenger.team.epochRank = () => undefined
    await erin.messenger.join((await alice.messenger.invite(conv, 'http://x')).link)
    await until(() => erin.messenger.conversations().some((c) => c.conv === conv), 'erin is admitted')
    await erin.messenger.openConversation(conv)
    await until(() => texts(erin, conv).includes(late), 'erin, without the check, shows carol\'s late envelope')
    expect(erin.messenger.messages(conv).find((m) => m.text === late)!.author).toBe(carol.messenger.identity!.deviceId)
    expect(codes(erin)).not.toContain(ClientErrorCode.LATE_ENVELOPE)
  })

  // A device resumes a document at its saved cursor: bob read alice's E2 envelope before
  // stopping, so his reopened stream starts right after it. The newest epoch seen below the
  // cursor is saved with it, so carol's late envelope is still recognised.
  test('[S12] bob, reopened on his own store after reading alice\'s E2 message, reports carol\'s late envelope M305 and does not show it', async () => {
    const { bob, conv, late, honest } = await lateAfterE2('Shed')
    await bob.messenger.stop()
    const reopened = await device('bob-Shed again', url(), { store: bob.store })
    devices.push(reopened)
    reopened.messenger.start()
    await reopened.messenger.openConversation(conv)
    await until(() => codes(reopened).includes(ClientErrorCode.LATE_ENVELOPE) || texts(reopened, conv).includes(late), 'reopened bob reaches carol\'s late envelope', 5000)
    expect(honest.every((t) => texts(reopened, conv).includes(t))).toBe(true)
    expect(texts(reopened, conv)).not.toContain(late)
    expect(codes(reopened)).toContain(ClientErrorCode.LATE_ENVELOPE)
  })

  test('[S12] documented limit: a late envelope that is the first one after the rotation in its document is not detectable and is shown', async () => {
    const { alice, bob, carol, conv, segment } = await crew('Yard')
    const { epoch: e1, key } = await epochCarolWritesUnder(conv, [alice, bob, carol], carol)
    const late = 'carol, late: nobody wrote under E2 here yet'
    const prepared = await carolPrepares(carol, conv, segment, e1, key, late)

    const e2 = await aliceRemovesCarol(alice, bob, carol, conv, e1)
    // Nobody has written under E2 in the segment: to a reader, carol's envelope is
    // indistinguishable from one pushed just before the rotation.
    const before = await stream(conv, segment)
    expect(before.every(({ bytes }) => splitEnvelope(bytes)!.header.epoch !== e2)).toBe(true)
    await maliciousStore(conv, segment, prepared)
    // Writing under E2 afterwards does not make it detectable: in the stream it comes before E2.
    await alice.messenger.send(conv, 'alice, after carol left')
    await until(() => texts(bob, conv).includes('alice, after carol left'), 'bob sees alice\'s message under E2')

    const dave = await admitAfterRemoval(alice, conv, 'dave-Yard')
    await until(() => texts(dave, conv).includes('alice, after carol left') && texts(dave, conv).includes(late), 'dave shows the backlog')
    await passesOtherChecks(dave, conv, segment, prepared.sealed, e1, carol)
    expect(codes(dave)).not.toContain(ClientErrorCode.LATE_ENVELOPE)
    expect(dave.messenger.messages(conv).find((m) => m.text === late)!.author).toBe(carol.messenger.identity!.deviceId)
  })
})
