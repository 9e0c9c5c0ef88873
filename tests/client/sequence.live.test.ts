import { describe, expect, test } from 'vitest'
import { HELD_ITEMS_MAX, Sequences } from '../../client/core/sync/sequence.js'

/** [M33] The live sequence of one document, as a connection receives it (pure: no socket, no clock). */
const KEY = 'conv' + 'doc'
const item = (sseq: number, size = 8) => ({ sseq, env: new Uint8Array(size).fill(sseq & 0xff) })
const sseqs = (outcome: ReturnType<Sequences['live']>) => (outcome.kind === 'apply' ? outcome.items.map((i) => i.sseq) : outcome.kind)

/** A subscription caught up at `cursor`. */
function caughtUp(cursor: number): Sequences {
  const s = new Sequences()
  s.subscribed(KEY)
  s.caughtUp(KEY, cursor)
  return s
}

describe('live sequence of a document', () => {
  test('[M33] live frames that continue the sequence are applied at once', () => {
    const s = caughtUp(4)
    const outcome = s.live(KEY, [item(5), item(6)], 0)
    expect(outcome).toMatchObject({ kind: 'apply', clean: true })
    expect(sseqs(outcome)).toEqual([5, 6])
    expect(sseqs(s.live(KEY, [item(7)], 0))).toEqual([7])
    expect(s.oldestHole()).toBeUndefined()
  })

  test('[M33] items above a hole are held, not applied; the hole filling lets them through in order', () => {
    const s = caughtUp(4)
    const held = s.live(KEY, [item(7), item(8)], 100)
    expect(held).toMatchObject({ kind: 'apply', clean: false })
    expect(sseqs(held)).toEqual([])
    expect(s.oldestHole()).toBe(100)
    expect(sseqs(s.live(KEY, [item(6)], 150))).toEqual([]) // still missing 5
    expect(s.oldestHole()).toBe(100) // the hole is as old as when it was first seen
    expect(sseqs(s.live(KEY, [item(5)], 200))).toEqual([5, 6, 7, 8])
    expect(s.oldestHole()).toBeUndefined()
  })

  test('[M33] a hole open since before the deadline is overdue; a younger one is not', () => {
    const s = caughtUp(0)
    s.live(KEY, [item(2)], 1000)
    expect(s.overdue(999)).toEqual([])
    expect(s.overdue(1000)).toEqual([KEY])
  })

  test('[M33] this device\'s own envelopes fill the hole, whether the ack comes before or after the live frame', () => {
    const ackFirst = caughtUp(4)
    ackFirst.own(KEY, 5)
    expect(sseqs(ackFirst.live(KEY, [item(6)], 0))).toEqual([6])

    const ackLate = caughtUp(4)
    expect(sseqs(ackLate.live(KEY, [item(6), item(7)], 0))).toEqual([])
    expect(ackLate.released()).toEqual([])
    ackLate.own(KEY, 5)
    expect(ackLate.released()).toEqual([{ key: KEY, items: [item(6), item(7)] }])
    expect(ackLate.oldestHole()).toBeUndefined()
  })

  test('[M33] repeated items (a hop that duplicates frames) are dropped; reordered ones are put back in order', () => {
    const s = caughtUp(0)
    expect(sseqs(s.live(KEY, [item(1)], 0))).toEqual([1])
    expect(sseqs(s.live(KEY, [item(1)], 0))).toEqual([])
    expect(sseqs(s.live(KEY, [item(3), item(2)], 0))).toEqual([2, 3])
    expect(sseqs(s.live(KEY, [item(3), item(2)], 0))).toEqual([])
    expect(s.oldestHole()).toBeUndefined()
  })

  test('[M33] live frames before the caught-up are an older subscription\'s: dropped; two subscribes need two caught-ups', () => {
    const s = new Sequences()
    s.subscribed(KEY)
    expect(s.live(KEY, [item(1)], 0)).toEqual({ kind: 'drop' })
    expect(s.caughtUp(KEY, 3)).toEqual({ done: true, items: [] })
    expect(sseqs(s.live(KEY, [item(6)], 0))).toEqual([]) // held: 4 and 5 missing
    s.subscribed(KEY) // fetched again: what was held comes again in the backlog
    s.subscribed(KEY)
    expect(s.oldestHole()).toBeUndefined()
    expect(s.live(KEY, [item(4)], 0)).toEqual({ kind: 'drop' })
    expect(s.caughtUp(KEY, 5).done).toBe(false)
    expect(s.live(KEY, [item(6)], 0)).toEqual({ kind: 'drop' })
    expect(s.caughtUp(KEY, 7).done).toBe(true)
    expect(sseqs(s.live(KEY, [item(8)], 0))).toEqual([8])
  })

  test('[M33] a suspended document drops live frames until it is subscribed again; a forgotten or unknown one drops them too', () => {
    const s = caughtUp(0)
    s.live(KEY, [item(2)], 0)
    s.suspend(KEY)
    expect(s.oldestHole()).toBeUndefined()
    expect(s.live(KEY, [item(1)], 0)).toEqual({ kind: 'drop' })
    s.subscribed(KEY)
    s.caughtUp(KEY, 2)
    expect(sseqs(s.live(KEY, [item(3)], 0))).toEqual([3])
    s.forget((k) => k === KEY)
    expect(s.live(KEY, [item(4)], 0)).toEqual({ kind: 'drop' })
    expect(new Sequences().live('other', [item(1)], 0)).toEqual({ kind: 'drop' })
  })

  test('[M33] what is held is bounded: past the items or bytes allowed, the hole is a gap at once', () => {
    const byCount = caughtUp(0)
    const many = Array.from({ length: HELD_ITEMS_MAX + 1 }, (_, i) => item(i + 2, 1))
    expect(byCount.live(KEY, many, 0)).toEqual({ kind: 'gap' })
    const byBytes = caughtUp(0)
    expect(sseqs(byBytes.live(KEY, [item(2, 8 << 20)], 0))).toEqual([])
    expect(byBytes.live(KEY, [item(3, (8 << 20) + 1)], 0)).toEqual({ kind: 'gap' }) // 16 MiB + 1 byte held
  })

  test('[M33] subscribing again drops what was held (its backlog brings it); live frames continue from the new caught-up', () => {
    const s = caughtUp(0)
    s.live(KEY, [item(3), item(5)], 0)
    s.subscribed(KEY)
    expect(s.oldestHole()).toBeUndefined()
    expect(s.caughtUp(KEY, 4)).toEqual({ done: true, items: [] })
    expect(sseqs(s.live(KEY, [item(5)], 0))).toEqual([5])
  })
})
