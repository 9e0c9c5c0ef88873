import { describe, expect, test } from 'vitest'
import { EnvelopeAuthors, generateDeviceKeys, generateEpochKey } from '../../crypto/index.js'
import { MAX_KEEP_DAY } from '../../protocol/index.js'
import { newConvId, newDocId } from '../../client/core/ids.js'
import { Outbox } from '../../client/core/outbox/outbox.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import { combineKeep, contentFreeDay, keepDay } from '../../client/core/prune/keepDay.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { DAY, NOON, dayOf, delivered, type Alice, devicesForEachTest } from './keepUntil.world.js'
import { until } from './helpers/devices.js'

/** [M71] protocol [S56]: the "keep until" day each pushed envelope carries, on alice's device. */
const { device } = devicesForEachTest()

const HOUR = 3600
const WEEK = 7 * 86_400

/** Envelopes of change batches (kind 1) pushed for `doc`. */
const batchesOf = (a: Alice, doc: string) => a.server.pushed.filter((p) => p.doc === doc && p.kind === 1)

describe('[M71] keep days: the rule', () => {
  test('[M71] timer on: the day the effective timer ends, plus two; off: 0 (forever); a content-free change: two days after now', () => {
    expect(keepDay(NOON, 300)).toBe(dayOf(NOON) + 2)
    expect(keepDay(NOON, WEEK)).toBe(dayOf(NOON + WEEK * 1000) + 2)
    expect(keepDay(Date.UTC(2027, 0, 11, 23, 58), 300)).toBe(dayOf(Date.UTC(2027, 0, 12)) + 2) // past midnight: the later day
    expect(keepDay(NOON, 0)).toBe(0)
    expect(contentFreeDay(NOON)).toBe(dayOf(NOON) + 2)
    // A clock decades off names no day the protocol carries: forever, never dropped early.
    expect(keepDay(MAX_KEEP_DAY * DAY, 300)).toBe(0)
    expect(keepDay(Number.NaN, 300)).toBe(0)
  })

  test('[M71] changes sealed together: forever when any is forever, else the latest day', () => {
    expect(combineKeep(undefined, 20_000)).toBe(20_000)
    expect(combineKeep(20_000, 20_005)).toBe(20_005)
    expect(combineKeep(20_005, 20_000)).toBe(20_005)
    expect(combineKeep(20_000, 0)).toBe(0)
    expect(combineKeep(0, 20_000)).toBe(0)
  })
})

describe('[M71] outbox invariant 5: the day travels with the records', () => {
  const world = () => ({ conv: newConvId(), doc: newDocId(), key: generateEpochKey(), authors: new EnvelopeAuthors(generateDeviceKeys().signSecret) })
  const change = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (n * 7 + i) & 0xff)

  test('[M71] an envelope batching a forever change and a dated one is forever; two dated ones take the later day; the chain keeps the combination', async () => {
    const { conv, doc, key, authors } = world()
    const outbox = new Outbox(createMemoryStore())
    await outbox.add(conv, doc, [change(1)], ['a'], 20_000)
    await outbox.add(conv, doc, [change(2)], ['b'], 20_005)
    await outbox.seal(conv, doc, 0, key, authors)
    expect(outbox.sealed(conv, doc).map((s) => s.keep)).toEqual([20_005])
    expect(outbox.chain(conv, doc, 0)!.keep).toBe(20_005)
    await outbox.add(conv, doc, [change(3)], ['c'], 20_001)
    await outbox.add(conv, doc, [change(4)], ['d'], 0)
    await outbox.seal(conv, doc, 0, key, authors)
    expect(outbox.sealed(conv, doc).map((s) => s.keep)).toEqual([20_005, 0])
    expect(outbox.chain(conv, doc, 0)!.keep).toBe(0) // a snapshot of this chain would hold a forever change
  })

  test('[M71] the day survives a reload: raw, sealed and chain records are read back with it', async () => {
    const { conv, doc, key, authors } = world()
    const store = createMemoryStore()
    const outbox = new Outbox(store)
    await outbox.add(conv, doc, [change(1)], ['a'], 20_003)
    await outbox.seal(conv, doc, 0, key, authors)
    await outbox.add(conv, doc, [change(2)], ['b'], 20_004)
    const again = new Outbox(store)
    await again.load()
    expect(again.sealed(conv, doc).map((s) => s.keep)).toEqual([20_003])
    expect(again.raw(conv, doc).map((r) => r.keep)).toEqual([20_004])
    expect(again.chain(conv, doc, 0)!.keep).toBe(20_003)
  })

  test('[M71] records written before days existed read as forever: raw, sealed and chain', async () => {
    const { conv, doc, key, authors } = world()
    const store = createMemoryStore()
    // As the outbox wrote them before this change: no `keep` field anywhere.
    await store.write([
      { key: ['out', 'raw', conv, doc, '0000000000000001'], value: encodeRecord({ changes: [change(1)], msgIds: ['old'] }) },
    ])
    const first = new Outbox(store)
    await first.load()
    expect(first.raw(conv, doc).map((r) => r.keep)).toEqual([0])
    await first.seal(conv, doc, 0, key, authors)
    const sealed = first.sealed(conv, doc)[0]!
    // Rewrite the sealed and chain records without the field, as an older version left them.
    await store.write([
      { key: ['out', 'sealed', conv, doc, '0000000000000001'], value: encodeRecord({ env: sealed.env, msgIds: sealed.msgIds, changes: sealed.changes, epoch: 0 }) },
      { key: ['chain', conv, doc, '0000000000000000'], value: encodeRecord({ seq: 1, prev: first.chain(conv, doc, 0)!.prev, compacted: 0 }) },
    ])
    const second = new Outbox(store)
    await second.load()
    expect(second.sealed(conv, doc).map((s) => s.keep)).toEqual([0])
    expect(second.chain(conv, doc, 0)!.keep).toBe(0)
    // A dated change sealed after them joins a forever chain: the chain stays forever.
    await second.add(conv, doc, [change(2)], ['new'], 20_010)
    await second.seal(conv, doc, 0, key, authors)
    expect(second.sealed(conv, doc).map((s) => s.keep)).toEqual([0, 20_010])
    expect(second.chain(conv, doc, 0)!.keep).toBe(0)
  })

  test('[M71] a record with a day the protocol cannot carry is set aside as corrupt, not pushed', async () => {
    const { conv, doc } = world()
    const store = createMemoryStore()
    await store.write([{ key: ['out', 'raw', conv, doc, '0000000000000001'], value: encodeRecord({ changes: [change(1)], msgIds: ['x'], keep: MAX_KEEP_DAY + 1 }) }])
    const outbox = new Outbox(store)
    await outbox.load()
    expect(outbox.raw(conv, doc)).toEqual([])
    expect(outbox.corrupt).toHaveLength(1)
  })
})

describe('[M71] keep days in push frames (a server the test plays)', () => {
  test('[M71] timer on: a message\'s envelope names the day its timer ends plus two; the timer entry alone two days after now; the root document forever', async () => {
    const a = await device()
    const conv = await a.messenger.createConversation('Night shift')
    await a.messenger.openConversation(conv)
    await a.messenger.setTimer(conv, WEEK)
    await delivered(a)
    const seg = segmentDocId(conv, 0)
    expect(batchesOf(a, seg).map((p) => p.keep)).toEqual([dayOf(NOON) + 2]) // the timer entry: no content of its own
    await a.messenger.send(conv, 'gate code 4417')
    await delivered(a)
    expect(batchesOf(a, seg).at(-1)!.keep).toBe(dayOf(NOON + WEEK * 1000) + 2)
    // The root (it lists the segments) is kept forever, and so is everything not a segment.
    const others = a.server.pushed.filter((p) => p.doc !== seg)
    expect(others.length).toBeGreaterThan(0)
    expect(others.every((p) => p.keep === 0)).toBe(true)
    // Every push frame carried one day per envelope (the server's schema refuses anything else).
    expect(a.server.pushed.every((p) => p.keep !== undefined)).toBe(true)
    expect(a.problems).toEqual([])
  })

  test('[M71] timer off: forever (0); the organisation\'s maximum with the conversation\'s timer off: the day from the maximum', async () => {
    const a = await device()
    const conv = await a.messenger.createConversation('Depot')
    await a.messenger.openConversation(conv)
    await a.messenger.send(conv, 'stays')
    await delivered(a)
    const seg = segmentDocId(conv, 0)
    expect(batchesOf(a, seg).map((p) => p.keep)).toEqual([0])

    await a.messenger.team.setPolicy(conv, { maxDisappearSeconds: HOUR })
    await until(() => a.messenger.timer(conv).effective === HOUR, 'the policy')
    expect(a.messenger.timer(conv).seconds).toBe(0)
    a.wall.t = Date.UTC(2027, 0, 11, 23, 30) // an hour from now is tomorrow
    const before = batchesOf(a, seg).length
    await a.messenger.send(conv, 'an hour at most')
    await delivered(a)
    // The message's envelope; 'stays' (now past the maximum) is deleted by its author after it,
    // a content-free change kept two days ([M68]).
    expect(batchesOf(a, seg).slice(before).map((p) => p.keep)).toEqual([dayOf(Date.UTC(2027, 0, 12)) + 2, dayOf(a.wall.t) + 2])
  })

  test('[M71] the conversation\'s timer is capped by the organisation\'s maximum: the day from the shorter', async () => {
    const a = await device()
    const conv = await a.messenger.createConversation('Capped')
    await a.messenger.openConversation(conv)
    await a.messenger.team.setPolicy(conv, { maxDisappearSeconds: HOUR })
    await a.messenger.setTimer(conv, 30 * 86_400)
    await until(() => a.messenger.timer(conv).effective === HOUR, 'the cap')
    await delivered(a)
    await a.messenger.send(conv, 'capped')
    await delivered(a)
    expect(batchesOf(a, segmentDocId(conv, 0)).at(-1)!.keep).toBe(dayOf(NOON + HOUR * 1000) + 2)
  })

  test('[M71] a snapshot of this device\'s own changes ([E12]) names the latest day of the chain it replaces; with a forever change in it, forever', async () => {
    const a = await device({ snapshotEvery: 2 })
    const conv = await a.messenger.createConversation('Snapshots')
    await a.messenger.openConversation(conv)
    const seg = segmentDocId(conv, 0)
    const snapshots = () => a.server.pushed.filter((p) => p.doc === seg && p.kind === 2).map((p) => p.keep)
    await a.messenger.setTimer(conv, WEEK) // content-free: today + 2
    await delivered(a)
    await a.messenger.send(conv, 'one') // today + 7 + 2
    await delivered(a)
    await until(() => snapshots().length === 1, 'a snapshot of two envelopes')
    expect(snapshots()).toEqual([dayOf(NOON + WEEK * 1000) + 2])

    a.wall.t += 3 * DAY
    await a.messenger.send(conv, 'two') // three days later: the latest day
    await delivered(a)
    await a.messenger.setTimer(conv, 0) // content-free, earlier than 'two'
    await delivered(a)
    await until(() => snapshots().length === 2, 'a second snapshot')
    expect(snapshots()[1]).toBe(dayOf(NOON + 3 * DAY + WEEK * 1000) + 2)

    await a.messenger.send(conv, 'forever')
    await delivered(a)
    await a.messenger.send(conv, 'and more')
    await delivered(a)
    await until(() => snapshots().length === 3, 'a third snapshot')
    expect(snapshots()[2]).toBe(0)
  })
})
