import { describe, expect, test } from 'vitest'
import type { ConvId, DocId } from '../../protocol/index.js'
import { documentId } from '../../client/core/documents/docs.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { DAY, delivered, reconnect, type Alice, devicesForEachTest } from './keepUntil.world.js'
import { until } from './helpers/devices.js'

/**
 * [M71] protocol [S56]: the server answers 1206 (DOC_DROPPED) for an envelope of a segment it
 * dropped once its keep-until day passed. Alice's device against a server the test plays.
 */
const { device, reopen } = devicesForEachTest()

/** Every key this device's store holds that names `doc` (the tombstone aside). */
async function keysOf(store: LocalStore, conv: ConvId, doc: DocId): Promise<string[]> {
  const all = await store.range([])
  const am = documentId(doc) as string
  return all.map((e) => e.key).filter((k) => k[0] !== 'dropped' && (k.includes(doc) || k.includes(am))).map((k) => k.join('/'))
}

const pushesTo = (a: Alice, doc: DocId) => a.server.pushed.filter((p) => p.doc === doc)

describe('[M71] 1206 in an ack', () => {
  test('[M71][S56] the segment\'s pending changes are dropped and never pushed again; it is erased and tombstoned, not subscribed after a reconnect or a restart; other documents go on; nothing alarming is shown', async () => {
    const a = await device()
    const conv = await a.messenger.createConversation('Quiet room')
    const busy = await a.messenger.createConversation('Busy room')
    for (const c of [conv, busy]) await a.messenger.openConversation(c)
    await a.messenger.setTimer(conv, 300)
    await a.messenger.send(conv, 'old news 5521')
    await delivered(a)
    const seg0 = segmentDocId(conv, 0)
    expect(await keysOf(a.store, conv, seg0)).not.toEqual([])

    // The room stays quiet past its timer and two days: the server drops the segment ([S56]).
    a.server.dropped.add(seg0)
    a.wall.t += 3 * DAY
    const fresh = await a.messenger.send(conv, 'fresh words 7788') // into segment 0, the newest
    expect(fresh.segment).toBe(seg0)
    await until(() => pushesTo(a, seg0).some((p) => p.result === 'dropped'), 'a 1206')
    await delivered(a)
    const refusedToSeg0 = pushesTo(a, seg0).length

    // Tombstoned and erased: no document, chunks, cursor, outbox, chain or search record of it.
    expect(await a.store.get(['dropped', conv, seg0])).toBeDefined()
    expect(await keysOf(a.store, conv, seg0)).toEqual([])
    expect(a.problems).toEqual([])

    // Other documents go on: the busy room's messages are stored as before.
    await a.messenger.send(busy, 'busy as ever')
    await delivered(a)
    expect(pushesTo(a, segmentDocId(busy, 0)).every((p) => p.result === 'stored')).toBe(true)

    // Nothing of the segment is pushed or subscribed again, after a reconnect or a restart.
    await reconnect(a)
    await a.messenger.send(conv, 'after the reconnect')
    await delivered(a)
    expect(pushesTo(a, seg0)).toHaveLength(refusedToSeg0)
    expect(a.server.subscribed.at(-1)).not.toContain(seg0)
    expect(a.server.subscribed.at(-1)).toContain(segmentDocId(conv, 1))
    const again = await reopen(a)
    await again.messenger.openConversation(conv)
    await delivered(again)
    expect(a.server.subscribed.at(-1)).not.toContain(seg0)
    expect(pushesTo(again, seg0)).toHaveLength(refusedToSeg0)
    expect(again.messenger.hasEarlier(conv)).toBe(false) // "load earlier" has nothing: the only older segment is dropped
    expect(again.problems).toEqual([])
  })

  test('[M71] this device\'s live message refused with the segment is written again into the next segment, after a copy of the timer that lived there; the expired one is not', async () => {
    const a = await device()
    const conv = await a.messenger.createConversation('Quiet room')
    await a.messenger.openConversation(conv)
    await a.messenger.setTimer(conv, 300)
    await a.messenger.send(conv, 'old news 5521')
    await delivered(a)
    const seg0 = segmentDocId(conv, 0)
    a.server.dropped.add(seg0)
    a.wall.t += 3 * DAY
    const fresh = await a.messenger.send(conv, 'fresh words 7788')
    await until(() => pushesTo(a, seg0).some((p) => p.result === 'dropped'), 'a 1206')
    await delivered(a)

    const seg1 = segmentDocId(conv, 1)
    const shown = a.messenger.messages(conv)
    expect(shown.map((m) => [m.text, m.segment, m.tag, m.ts, m.pending])).toEqual([['fresh words 7788', seg1, fresh.tag, fresh.ts, false]])
    expect(shown[0]!.exp).toBe(fresh.exp) // the same timer: a copy of it came first
    expect(a.messenger.timer(conv).seconds).toBe(300)
    expect(a.messenger.timerLines(conv)).toEqual([]) // the copy is no system line
    expect(pushesTo(a, seg1).every((p) => p.result === 'stored')).toBe(true)
    expect(a.messenger.status.pending).toBe(0)
    expect(a.problems).toEqual([])
  })

  test('[M71] a hostile server answering 1206 for a root document (kept forever): reported, nothing dropped', async () => {
    const a = await device()
    const conv = await a.messenger.createConversation('Root')
    await a.messenger.openConversation(conv)
    a.server.dropped.add(conv as string as DocId)
    await a.messenger.send(conv, 'first words') // the first segment is listed in the root: a root change
    await until(() => a.problems.length > 0, 'the refusal reported')
    expect(a.problems[0]).toMatchObject({ code: 'M400_SERVER_REFUSED' })
    expect(await a.store.get(['dropped', conv, conv])).toBeUndefined()
    expect(a.messenger.messages(conv).map((m) => m.text)).toEqual(['first words'])
  })
})
