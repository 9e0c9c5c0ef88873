import { describe, expect, test } from 'vitest'
import { deviceIdOf, type ConvId, type DeviceId, type DocId } from '../../../protocol/index.js'
import type { MessageRef } from '../../../client/core/documents/messageRef.js'
import { randomBytes } from '../../../crypto/index.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { Presence } from '../../../client/core/presence/presence.js'
import { UnreadTally } from '../../../client/core/presence/unread.js'
import type { Cursor } from '../../../client/core/presence/cursor.js'
import type { SendOutcome } from '../../../client/core/presence/channel.js'
import type { SignalChannel } from '../../../client/core/presence/channel.js'
import type { MessageView } from '../../../client/core/documents/model.js'

/**
 * [M56] Unread counted on from the last count while only messages are added, and whole when
 * anything else changed: the counts told must always equal a count over the whole window.
 * Presence alone, over a window this test holds (`views`), with messages hidden at will.
 */
const dev = (): DeviceId => deviceIdOf(randomBytes(32))
const [ann, bob, cy] = [dev(), dev(), dev()]
const conv = 'AAAAAAAAAAAAAAAAAAAAAA' as ConvId
const SEG = 'seg' as DocId
let n = 0
const msg = (ts: number, author: DeviceId): MessageView => {
  const id = `${++n}@${author}`
  return { id, ref: `${SEG}.${id}` as MessageRef, tag: `t${n}`, segment: SEG, author, ts, text: `m${n}` }
}

function world() {
  const views: MessageView[] = []
  let loaded = true
  const hidden = new Set<string>()
  const told: number[] = []
  const after = (m: MessageView, read: Cursor | undefined) => !read || m.ts > read.ts || (m.ts === read.ts && m.id > read.id)
  const shown = (ms: Iterable<MessageView>, read: Cursor | undefined, skip?: (a: DeviceId) => boolean) => [...ms].filter((m) => after(m, read) && !skip?.(m.author) && !hidden.has(m.id))
  const channel = { canSend: () => false, send: async (): Promise<SendOutcome> => 'offline', events: { on: () => () => undefined } } as unknown as SignalChannel
  const presence = new Presence({
    store: createMemoryStore(),
    channel,
    conversations: () => [conv],
    list: () => shown(views, undefined),
    shownAfter: (_c, read, skip) => shown(views, read, skip),
    shownAmong: (_c, ms, read, skip) => shown(ms, read, skip),
    ownPerson: (_c, d) => d === ann,
    person: () => undefined,
    loaded: () => loaded,
    policyAllows: () => true,
    emit: { receipts: () => undefined, typing: () => undefined, unread: (_c, count) => void told.push(count) },
  })
  /** Messages arriving as the engine announces them: the window first, then `added`, then `messages` with onlyAdded. */
  const arrive = async (...ms: MessageView[]) => {
    views.push(...ms)
    presence.added(conv, ms)
    presence.recount(conv, true)
    await Promise.resolve()
  }
  const whole = () => shown(views, presence.receipts.cursors(conv).r, (d) => d === ann).length
  return { views, hidden, told, presence, arrive, whole, last: () => told.at(-1) ?? 0, setLoaded: (v: boolean) => void (loaded = v) }
}

describe('[M56] unread counted on while only messages arrive', () => {
  test('batches from others and from this person: each count told equals the whole window\'s', async () => {
    const w = world()
    for (let b = 0; b < 20; b++) {
      await w.arrive(...Array.from({ length: 7 }, (_, i) => msg(1000 + b * 10 + i, i % 3 === 0 ? ann : i % 2 ? bob : cy)))
      expect(w.last()).toBe(w.whole())
    }
    expect(w.last()).toBe(20 * 4)
    expect(w.presence.unread(conv)).toBe(w.last())
  })

  test('a whole count that already saw the arriving messages (it ran between the window and `added`) does not count them twice', async () => {
    const w = world()
    await w.arrive(msg(10, bob))
    const late = [msg(20, bob), msg(21, cy)]
    w.views.push(...late)
    w.presence.recount(conv) // something else changed: counted whole, the two included
    await Promise.resolve()
    expect(w.last()).toBe(3)
    w.presence.added(conv, late)
    w.presence.recount(conv, true)
    await Promise.resolve()
    expect(w.presence.unread(conv)).toBe(3)
    await w.arrive(msg(30, cy))
    expect(w.last()).toBe(4)
  })

  test('a change that shows nothing anew (a root listing a new segment) tells the same count, without counting again', async () => {
    const w = world()
    await w.arrive(msg(10, bob), msg(11, cy))
    const hiddenMeanwhile = w.views[0]!
    w.hidden.add(hiddenMeanwhile.id) // not told to presence: the tally is what it counted
    w.presence.recount(conv, true)
    await Promise.resolve()
    expect(w.presence.unread(conv)).toBe(1)
    expect(w.last()).toBe(2) // counted on (nothing was counted again), so nothing new was told
  })

  test('any other change counts whole: a message hidden, then arrivals counted on from there', async () => {
    const w = world()
    const a = msg(10, bob)
    await w.arrive(a, msg(11, bob))
    w.hidden.add(a.id)
    w.presence.recount(conv) // the `messages` event of a change that is not only an addition
    await Promise.resolve()
    expect(w.last()).toBe(1)
    await w.arrive(msg(12, cy))
    expect(w.last()).toBe(2)
    expect(w.last()).toBe(w.whole())
  })

  test('counted from the saved view until the window loads, then over the window: nothing counted on from the saved rows', async () => {
    const w = world()
    w.setLoaded(false)
    w.presence.seedUnread(conv, [msg(1, bob), msg(2, cy), msg(3, bob)])
    await Promise.resolve()
    expect(w.last()).toBe(3)
    w.setLoaded(true) // a message arrives in a new segment: the window counts from now on
    await w.arrive(msg(4, bob))
    expect(w.last()).toBe(1)
    expect(w.last()).toBe(w.whole())
  })

  test('a read cursor that moved since the last count (read here or on another device) counts whole', async () => {
    const w = world()
    await w.arrive(msg(10, bob), msg(11, bob))
    await w.presence.receipts.markRead(conv)
    await Promise.resolve()
    expect(w.last()).toBe(0)
    await w.arrive(msg(5, cy), msg(12, cy)) // one older than the cursor (an offline writer): not unread
    expect(w.last()).toBe(1)
    expect(w.last()).toBe(w.whole())
  })
})

describe('UnreadTally', () => {
  test('counts each id once, leaves out this person and what is at or before the cursor', () => {
    const own = (d: DeviceId) => d === ann
    const a = msg(10, bob)
    const read = { ts: 10, id: a.id }
    const tally = UnreadTally.of([a, msg(11, ann), msg(12, bob)], read, own)
    expect(tally.size).toBe(1)
    const c = msg(13, cy)
    tally.add([c, c, msg(9, cy)], own)
    expect(tally.size).toBe(2)
    expect(tally.countedAgainst(read)).toBe(true)
    expect(tally.countedAgainst({ ...read })).toBe(true)
    expect(tally.countedAgainst({ ts: 11, id: a.id })).toBe(false)
    expect(tally.countedAgainst(undefined)).toBe(false)
    expect(UnreadTally.of([], undefined, own).countedAgainst(undefined)).toBe(true)
  })
})
