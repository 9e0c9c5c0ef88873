import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { generateDeviceKeys } from '../../crypto/index.js'
import { deviceIdOf, type ConvId, type DocId } from '../../protocol/index.js'
import { actorOf } from '../../client/core/identity.js'
import { newConvId } from '../../client/core/ids.js'
import { SEGMENT_GENESIS, compareMessages, readSegment, readSegments, segmentDocId, type MessageView, type RootDoc, type SegmentDoc } from '../../client/core/documents/model.js'
import { refOf } from '../../client/core/documents/messageRef.js'

/** [M11], [M12], [M14], [M15]: document shapes, the shared genesis, order and authorship. */
const alice = generateDeviceKeys()
const bob = generateDeviceKeys()
const SEG = 'segment-under-test' as DocId

/** Pinned once from Automerge 3.5 (`A.decodeChange(SEGMENT_GENESIS).hash`). */
const GENESIS_HASH = '083650feaf30051ff7fae292351648aeb5f013359ec880fd75d2914fe3e5b1f5'

function startSegment(actor: string): A.Doc<SegmentDoc> {
  return A.applyChanges(A.init<SegmentDoc>({ actor: actor as A.ActorId }), [SEGMENT_GENESIS])[0]
}
function push(doc: A.Doc<SegmentDoc>, id: string, ts: number, text: string): A.Doc<SegmentDoc> {
  return A.change(doc, (d) => void d.messages.push({ id: new A.ImmutableString(id), ts, text: new A.ImmutableString(text) }))
}
/** Changes made after genesis: what a device would queue and send. */
const sentChanges = (doc: A.Doc<SegmentDoc>) => A.getAllChanges(doc).filter((c) => A.decodeChange(c).hash !== GENESIS_HASH)

describe('segment genesis', () => {
  test('[M12] the genesis change has a pinned hash (an Automerge upgrade that changes it must fail here)', () => {
    const decoded = A.decodeChange(SEGMENT_GENESIS)
    expect(decoded.hash).toBe(GENESIS_HASH)
    expect(decoded.actor).toBe('00'.repeat(16))
    expect(decoded.seq).toBe(1)
    expect(decoded.time).toBe(0)
    expect(decoded.deps).toEqual([])
  })

  test('[M12] genesis starts an empty message list and nothing else', () => {
    const doc = startSegment(actorOf(alice.signPublic))
    expect(doc).toEqual({ messages: [] })
  })

  test('[M12] alice and bob both start segment 0 offline, each writes, and the merge is one list with both messages', () => {
    let a = push(startSegment(actorOf(alice.signPublic)), 'a1', 1000, 'from alice')
    let b = push(startSegment(actorOf(bob.signPublic)), 'b1', 1001, 'from bob')
    a = A.applyChanges(a, sentChanges(b))[0]
    b = A.applyChanges(b, sentChanges(a))[0]
    expect(A.getHeads(a).sort()).toEqual(A.getHeads(b).sort())
    const onA = readSegment(a, SEG)
    expect(onA.map((m) => [m.text, m.author])).toEqual(readSegment(b, SEG).map((m) => [m.text, m.author]))
    expect([...onA].sort(compareMessages).map((m) => [m.text, m.author])).toEqual([
      ['from alice', deviceIdOf(alice.signPublic)],
      ['from bob', deviceIdOf(bob.signPublic)],
    ])
  })

  test('[M12] why genesis exists: without it, concurrent first writers create rival lists and one side is hidden', () => {
    const init = (actor: string) => A.change(A.init<SegmentDoc>({ actor: actor as A.ActorId }), (d) => void (d.messages = []))
    let a = push(init(actorOf(alice.signPublic)), 'a1', 1000, 'from alice')
    const b = push(init(actorOf(bob.signPublic)), 'b1', 1001, 'from bob')
    a = A.applyChanges(a, A.getAllChanges(b))[0]
    expect(readSegment(a, SEG)).toHaveLength(1)
  })
})

describe('segment ids and the root', () => {
  test('[M11] segment ids are derived from (conversation, index): stable, distinct, 16 bytes', () => {
    const conv = newConvId()
    const ids = [0, 1, 2, 1000].map((i) => segmentDocId(conv, i))
    expect(segmentDocId(conv, 1)).toBe(ids[1])
    expect(new Set(ids).size).toBe(4)
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true)
    expect(segmentDocId(newConvId(), 0)).not.toBe(ids[0])
    expect(ids).not.toContain(conv) // never the root document's id
  })

  test('[M11] readSegments lists s:<n> entries with a numeric start, oldest first, and ignores anything else', () => {
    const conv = newConvId() as ConvId
    const root = A.change(A.init<RootDoc>(), (d) => {
      d['s:2'] = { start: 30 }
      d['s:0'] = { start: 10 }
      d['s:1'] = { start: 20 }
      d['s:01'] = { start: 1 }
      d['s:-1'] = { start: 1 }
      d['s:3'] = { start: 'soon' }
      d['s:x'] = { start: 1 }
    })
    expect(readSegments(conv, root)).toEqual([0, 1, 2].map((index) => ({ index, id: segmentDocId(conv, index), start: (index + 1) * 10 })))
  })
})

describe('display order and authorship', () => {
  const view = (id: string, ts: number): MessageView => ({ id, ref: refOf(SEG, id), tag: id, ts, segment: SEG, author: deviceIdOf(alice.signPublic), text: id })

  test('[M14] display order is (timestamp, id), never arrival order', () => {
    const shuffled = [view('b', 2), view('z', 1), view('a', 2), view('c', 3)]
    expect(shuffled.sort(compareMessages).map((m) => m.id)).toEqual(['z', 'a', 'b', 'c'])
  })

  test('[M15] the author is the device whose actor created the message object, not any field', () => {
    let a = startSegment(actorOf(alice.signPublic))
    a = A.change(a, (d) => void d.messages.push({ id: new A.ImmutableString('m1'), ts: 1, text: new A.ImmutableString('hi'), author: 'bob' } as never))
    const [m] = readSegment(a, SEG)
    expect(m!.author).toBe(deviceIdOf(alice.signPublic))
  })

  test('[M15] malformed records are skipped, not shown', () => {
    let a = startSegment(actorOf(alice.signPublic))
    a = A.change(a, (d) => {
      const list = d.messages as unknown[]
      list.push('just a string')
      list.push({ id: new A.ImmutableString('no-ts'), text: new A.ImmutableString('x') })
      list.push({ id: new A.ImmutableString('bad-ts'), ts: 'now', text: new A.ImmutableString('x') })
      list.push({ ts: 1, text: new A.ImmutableString('no id') })
      list.push({ id: new A.ImmutableString('ok'), ts: 1, text: new A.ImmutableString('fine') })
    })
    expect(readSegment(a, SEG).map((m) => m.tag)).toEqual(['ok'])
  })

  test('[M15] a message object created by the genesis actor (not a device) is not shown', () => {
    // An object whose creator is not a 32-byte device key has no author: it is skipped.
    let g = A.init<SegmentDoc>({ actor: '00'.repeat(16) as A.ActorId })
    g = A.applyChanges(g, [SEGMENT_GENESIS])[0]
    g = A.change(g, (d) => void d.messages.push({ id: new A.ImmutableString('x'), ts: 1, text: new A.ImmutableString('ghost') }))
    expect(readSegment(g, SEG)).toEqual([])
  })

})
