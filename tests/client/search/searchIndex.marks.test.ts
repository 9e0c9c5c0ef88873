import { describe, expect, test } from 'vitest'
import { randomBytes } from '../../../crypto/index.js'
import { deviceIdOf, type ConvId, type DocId } from '../../../protocol/index.js'
import { newConvId } from '../../../client/core/ids.js'
import { segmentDocId, type MessageView } from '../../../client/core/documents/model.js'
import { recordKey, staleKey } from '../../../client/core/search/indexRecord.js'
import { SearchIndex } from '../../../client/core/search/searchIndex.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import type { Key, LocalStore, WriteOp } from '../../../client/core/storage/LocalStore.js'
import { refOf } from '../../../client/core/documents/messageRef.js'

/** SearchIndex on its own, with a segment whose document the test writes and whose reads it can hold. */
function world() {
  const inner = createMemoryStore()
  const writes: WriteOp[][] = []
  const store: LocalStore = { ...inner, write: (ops) => (writes.push([...ops]), inner.write(ops)) }
  const conv: ConvId = newConvId()
  const seg: DocId = segmentDocId(conv, 0)
  const author = deviceIdOf(randomBytes(32))
  const doc: MessageView[] = []
  let hold: Promise<void> | undefined
  let reads = 0
  const make = () => new SearchIndex({
    store,
    conversations: () => [conv],
    segmentsOf: () => [{ index: 0, id: seg, start: 0 }],
    titleOf: () => 'Logbook',
    nameOf: () => 'Ann',
    read: async () => {
      reads++
      await hold
      return [...doc]
    },
    prepare: async () => undefined,
    visible: () => true,
    touchDelayMs: 1,
    pause: () => new Promise((r) => setTimeout(r, 0)),
  })
  const write = (text: string) => doc.push({ id: `${doc.length + 1}@aa`, ref: refOf(seg, `${doc.length + 1}@aa`), tag: 't', segment: seg, author, ts: doc.length, text })
  const has = async (key: Key) => (await inner.get(key)) !== undefined
  return { store, writes, conv, seg, doc, make, write, has, reads: () => reads, holdReads: (p: Promise<void> | undefined) => (hold = p) }
}

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('[M53] stale marks (SearchIndex invariants 1–3)', () => {
  test('[M53] invariant 1: a changed segment is marked before anything else is written; the record made after the change removes the mark in the same write', async () => {
    const w = world()
    const index = w.make()
    w.write('first words')
    index.touch(w.conv, w.seg) // not started: only the mark
    await tick()
    expect(w.writes).toEqual([[{ key: staleKey(w.conv, w.seg), value: new Uint8Array([1]) }]])
    await index.indexed()
    expect(await w.has(staleKey(w.conv, w.seg))).toBe(false)
    expect(await w.has(recordKey(w.conv, w.seg))).toBe(true)
    expect(w.writes[1]!.map((op) => [op.key, op.value === undefined])).toEqual([[recordKey(w.conv, w.seg), false], [staleKey(w.conv, w.seg), true]])
    expect((await index.search('first')).map((h) => h.text)).toEqual(['first words'])
    await index.stop()
  })

  test('[M53] invariant 1: a change while the segment is read keeps the mark until a later read covers it', async () => {
    const w = world()
    const index = w.make()
    w.write('alpha')
    let release!: () => void
    w.holdReads(new Promise<void>((r) => (release = r)))
    const done = index.indexed()
    await tick()
    expect(w.reads()).toBe(1) // reading, held
    w.write('bravo')
    index.touch(w.conv, w.seg)
    w.holdReads(undefined)
    release()
    await done
    const recordWrites = w.writes.filter((ops) => ops.some((op) => op.key.length === 3))
    expect(recordWrites.map((ops) => ops.length)).toEqual([1, 2]) // the first record left the mark, the second removed it
    expect(await w.has(staleKey(w.conv, w.seg))).toBe(false)
    expect((await index.search('bravo')).map((h) => h.text)).toEqual(['bravo'])
    await index.stop()
  })

  test('[M53] invariant 2: opening again reads no segment whose record is whole and unmarked; a marked one is read once', async () => {
    const w = world()
    w.write('charlie')
    const first = w.make()
    await first.indexed()
    await first.stop()
    expect(w.reads()).toBe(1)
    const second = w.make()
    await second.indexed()
    expect(w.reads()).toBe(1)
    expect((await second.search('charlie')).length).toBe(1)
    w.write('delta')
    second.touch(w.conv, w.seg)
    await second.stop() // saves what changed since the last save
    expect(w.reads()).toBe(2)
    const third = w.make()
    await third.indexed()
    expect(w.reads()).toBe(2)
    expect((await third.search('delta')).length).toBe(1)
    await third.stop()
  })

  test('[M53] invariant 3: after stop nothing is written, whatever arrives', async () => {
    const w = world()
    w.write('echo')
    const index = w.make()
    await index.indexed()
    await index.stop()
    const before = w.writes.length
    w.write('foxtrot')
    index.touch(w.conv, w.seg)
    index.added(w.conv, w.doc)
    await index.indexed()
    await tick()
    expect(w.writes.length).toBe(before)
  })
})
