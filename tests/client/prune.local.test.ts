import { describe, expect, test } from 'vitest'
import type { ConvId, DocId } from '../../protocol/index.js'
import { documentId } from '../../client/core/documents/docs.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { openAtRest } from '../../client/core/storage/atRest.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { generateStorageMaster } from '../../crypto/index.js'
import { delivered, type Alice, devicesForEachTest } from './keepUntil.world.js'
import { until } from './helpers/devices.js'

/**
 * [M71] Alice's device drops, locally, segments that hold only expired entries: with one injected
 * wall clock moved forward instead of waiting, small segments, and a server the test plays.
 */
const { device, stop, reopen } = devicesForEachTest({ search: { startDelayMs: 0, saveDelayMs: 20 } })

const HOUR = 3600
const utf8 = new TextEncoder()

/** Whether any stored value holds `text` as UTF-8 bytes (outbox changes, chunks, search records). */
async function storeHolds(store: LocalStore, text: string): Promise<boolean> {
  const needle = utf8.encode(text)
  for (const e of await store.range([])) {
    const v = e.value
    outer: for (let i = 0; i + needle.length <= v.length; i++) {
      for (let j = 0; j < needle.length; j++) if (v[i + j] !== needle[j]) continue outer
      return true
    }
  }
  return false
}

/** Keys naming `doc` (its document id or its automerge-repo id), tombstones aside. */
async function keysOf(store: LocalStore, doc: DocId): Promise<string[]> {
  const am = documentId(doc) as string
  return (await store.range([])).map((e) => e.key).filter((k) => k[0] !== 'dropped' && (k.includes(doc) || k.includes(am))).map((k) => k.join('/'))
}

const tombstoned = async (a: Alice, conv: ConvId, doc: DocId) => (await a.store.get(['dropped', conv, doc])) !== undefined
const seg = (conv: ConvId, i: number) => segmentDocId(conv, i)

describe('[M71] local drop of expired segments', () => {
  test('[M71] with a 5-minute timer and five segments: the ones holding only expired messages are erased from storage after expiry; one holding a reaction to a live message stays, and so does the writable one; views and "load earlier" skip the dropped ones', async () => {
    const a = await device({ segmentCapacity: 3 })
    const conv = await a.messenger.createConversation('Night shift')
    await a.messenger.openConversation(conv)
    const keeper = await a.messenger.send(conv, 'keeper stays 1111') // timer off: never expires
    await a.messenger.setTimer(conv, 300)
    await a.messenger.send(conv, 'alpha 2222') // segment 0: keeper, timer, alpha
    await a.messenger.react(conv, keeper.ref, '👍') // segment 1: the reaction, then bravo and the timer's copy
    await a.messenger.send(conv, 'bravo 3333')
    const later = []
    for (const text of ['charlie 4444', 'delta 5555', 'echo 6666', 'foxtrot 7777', 'golf 8888']) later.push(await a.messenger.send(conv, text))
    await delivered(a)
    // An object id is unique within its segment only: charlie (expiring) has the keeper's id. The
    // reaction names the keeper's segment too, so [M68] does not take it for one on charlie.
    expect(later[0]!.id).toBe(keeper.id)
    expect(a.messenger.messages(conv).map((m) => m.segment)).toEqual([0, 0, 1, 2, 2, 3, 3, 4].map((i) => seg(conv, i)))
    await a.messenger.searchIndexed()
    const gone = ['charlie 4444', 'delta 5555', 'echo 6666', 'foxtrot 7777']
    for (const text of gone) expect(await storeHolds(a.store, text), text).toBe(true) // the scan below can see them

    a.wall.t += 301_000 // past every exp; the keeper has none
    await a.messenger.expireDue()
    await until(async () => (await tombstoned(a, conv, seg(conv, 2))) && (await tombstoned(a, conv, seg(conv, 3))), 'segments 2 and 3 dropped')
    await delivered(a)
    await a.messenger.searchIndexed()

    for (const i of [0, 1, 4]) expect(await tombstoned(a, conv, seg(conv, i)), `segment ${i}`).toBe(false)
    for (const i of [2, 3]) expect(await keysOf(a.store, seg(conv, i)), `segment ${i}`).toEqual([])
    for (const text of gone) expect(await storeHolds(a.store, text), text).toBe(false)
    // Views still work: the keeper with its reaction; nothing alarming was said.
    const shown = a.messenger.messages(conv)
    expect(shown.map((m) => m.text)).toEqual(['keeper stays 1111'])
    expect(shown[0]!.reactions?.map((r) => [r.emoji, r.count])).toEqual([['👍', 1]])
    expect(a.messenger.timer(conv).seconds).toBe(300)
    expect(await a.messenger.search('charlie')).toEqual([])
    expect(a.problems).toEqual([])

    // A new message still goes to the writable segment, and is stored.
    const hotel = await a.messenger.send(conv, 'hotel 9999')
    expect(hotel.segment).toBe(seg(conv, 4))
    await delivered(a)

    // After a restart: the dropped segments are not subscribed, and "load earlier" skips them.
    const again = await reopen(a, { segmentCapacity: 3 })
    await again.messenger.openConversation(conv)
    await delivered(again)
    const subscribed = a.server.subscribed.at(-1)!
    expect(subscribed).not.toContain(seg(conv, 2))
    expect(subscribed).not.toContain(seg(conv, 3))
    expect(subscribed).toEqual(expect.arrayContaining([seg(conv, 0), seg(conv, 1), seg(conv, 4)]))
    expect(again.messenger.messages(conv).map((m) => m.text)).toEqual(['hotel 9999']) // segments 4 and 1 (not 3)
    expect(again.messenger.hasEarlier(conv)).toBe(true)
    await again.messenger.loadEarlier(conv) // segment 0, past 3 and 2
    expect(again.messenger.messages(conv).map((m) => m.text)).toEqual(['keeper stays 1111', 'hotel 9999'])
    expect(again.messenger.hasEarlier(conv)).toBe(false)
    expect(again.problems).toEqual([])
  })

  test('[M71] the organisation\'s maximum with the conversation\'s timer off: segments of messages past it are dropped, judged by this device\'s wall clock', async () => {
    const a = await device({ segmentCapacity: 2 })
    const conv = await a.messenger.createConversation('Policy room')
    await a.messenger.openConversation(conv)
    await a.messenger.team.setPolicy(conv, { maxDisappearSeconds: HOUR })
    await until(() => a.messenger.timer(conv).effective === HOUR, 'the policy')
    const sent = []
    for (const text of ['one 1212', 'two 2323', 'three 3434', 'four 4545', 'five 5656']) sent.push(await a.messenger.send(conv, text))
    await delivered(a)
    expect(sent.every((m) => m.exp === m.ts + HOUR * 1000)).toBe(true)
    const lastOfSegment1 = sent[3]!.ts + HOUR * 1000
    a.wall.t = lastOfSegment1 - 1
    await a.messenger.expireDue()
    await until(async () => tombstoned(a, conv, seg(conv, 0)), 'segment 0 dropped')
    expect(await tombstoned(a, conv, seg(conv, 1))).toBe(false) // not yet: one ms to go for 'four'
    a.wall.t = lastOfSegment1
    await a.messenger.expireDue()
    await until(async () => (await tombstoned(a, conv, seg(conv, 0))) && (await tombstoned(a, conv, seg(conv, 1))), 'segments 0 and 1 dropped')
    expect(await tombstoned(a, conv, seg(conv, 2))).toBe(false) // the writable one
    for (const text of ['one 1212', 'two 2323', 'three 3434', 'four 4545']) expect(await storeHolds(a.store, text), text).toBe(false)
    expect(a.messenger.messages(conv).map((m) => m.text)).toEqual(['five 5656']) // a millisecond younger
  })

  test('[M71] tombstones invariant 1: a drop cut short after its tombstone (a crash) is finished at the next start, before anything is read', async () => {
    const a = await device({ segmentCapacity: 1 })
    const conv = await a.messenger.createConversation('Crash room')
    await a.messenger.openConversation(conv)
    await a.messenger.send(conv, 'first 1313')
    await a.messenger.send(conv, 'second 2424')
    await delivered(a)
    await stop(a)
    // What the store holds when the device stopped right after writing the tombstone.
    await a.store.write([{ key: ['dropped', conv, seg(conv, 0)], value: encodeRecord({ v: 1, erased: false }) }])
    expect(await keysOf(a.store, seg(conv, 0))).not.toEqual([])

    const again = await device({ store: a.store, server: a.server, wall: a.wall, segmentCapacity: 1 })
    expect(await keysOf(again.store, seg(conv, 0))).toEqual([])
    expect(await storeHolds(again.store, 'first 1313')).toBe(false)
    await again.messenger.openConversation(conv)
    expect(again.messenger.messages(conv).map((m) => m.text)).toEqual(['second 2424'])
    expect(again.messenger.hasEarlier(conv)).toBe(false)
    expect(a.server.subscribed.at(-1)).not.toContain(seg(conv, 0))
  })

  test('[M71][M28] on a store encrypted at rest (hidden keys): a dropped segment\'s records are erased all the same', async () => {
    const inner = createMemoryStore()
    const store = await openAtRest(inner, { kind: 'key', master: generateStorageMaster() })
    const a = await device({ segmentCapacity: 2, store })
    const conv = await a.messenger.createConversation('Sealed room')
    await a.messenger.openConversation(conv)
    await a.messenger.setTimer(conv, 300)
    for (const text of ['one 1515', 'two 2626', 'three 3737']) await a.messenger.send(conv, text)
    await delivered(a)
    await a.messenger.searchIndexed()
    const s0 = seg(conv, 0)
    const of = async (s: DocId) => [
      ...(await store.range(['am', documentId(s)])), ...(await store.range(['out', 'raw', conv, s])), ...(await store.range(['out', 'sealed', conv, s])),
      ...(await store.range(['chain', conv, s])), ...(await store.range(['search', conv, s])),
    ].length + ((await store.get(['doc', s])) ? 1 : 0) + ((await store.get(['cursor', conv, s])) ? 1 : 0)
    expect(await of(s0)).toBeGreaterThan(0)
    const before = (await inner.range([])).length
    a.wall.t += 301_000
    await a.messenger.expireDue()
    await until(async () => tombstoned(a, conv, s0), 'segment 0 dropped')
    await delivered(a)
    expect(await of(s0)).toBe(0)
    expect((await inner.range([])).length).toBeLessThan(before)
  })

  test('[M71] a segment is judged only once its subscription has caught up: offline, nothing is dropped', async () => {
    const a = await device({ segmentCapacity: 2 })
    const conv = await a.messenger.createConversation('Offline room')
    await a.messenger.openConversation(conv)
    await a.messenger.setTimer(conv, 300)
    for (const text of ['one', 'two', 'three']) await a.messenger.send(conv, text)
    await delivered(a)
    const s = a.server.sockets.at(-1)!
    s.close()
    s.onclose?.({})
    await until(() => a.messenger.status.connection !== 'online', 'offline')
    a.wall.t += 301_000
    await a.messenger.expireDue()
    for (const i of [0, 1, 2]) expect(await tombstoned(a, conv, seg(conv, i)), `segment ${i}`).toBe(false)
    expect(a.messenger.messages(conv)).toEqual([])
  })
})
