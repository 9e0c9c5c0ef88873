import * as A from '@automerge/automerge'
import { afterEach, expect, test } from 'vitest'
import { DocStore, type DocChange } from '../../client/core/documents/docs.js'
import { appendedEntries } from '../../client/core/documents/appendedEntries.js'
import { HybridClock } from '../../client/core/documents/hlc.js'
import { SEGMENT_GENESIS, SEGMENT_LIST, readSegment, type MessageRecord, type SegmentDoc } from '../../client/core/documents/model.js'
import { SegmentWindow } from '../../client/core/documents/segmentWindow.js'
import { checkChanges } from '../../client/core/documents/writeRules.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { docIdOf, type ConvId, type DocId } from '../../protocol/index.js'

/**
 * [M3b] Appends made and applied on Automerge's backend alone: the document reads the same as if
 * Automerge's change had made them, the entries the change event carries are the ones the
 * document shows, and a window fed by them lists what a window reading the document lists.
 */
const ALICE = 'a1'.repeat(32)
const BOB = 'b0'.repeat(32)
const CONV = docIdOf(new Uint8Array(16).fill(200)) as string as ConvId
const stores: DocStore[] = []
afterEach(async () => {
  for (const d of stores.splice(0)) await d.shutdown()
})
const open = (store: LocalStore, actor: string) => {
  const docs = new DocStore(store, actor, () => SEGMENT_GENESIS)
  stores.push(docs)
  return docs
}
let n = 0
const freshId = (): DocId => docIdOf(new Uint8Array(16).fill(++n))
const s = (v: string) => new A.ImmutableString(v)
const msg = (i: number, extra: Partial<MessageRecord> = {}): MessageRecord => ({ id: s(`tag${i}`), ts: 1000 + i, text: s(`message ${i}`), ...extra })
const changesOf = (docs: DocStore) => {
  const seen: DocChange[] = []
  docs.events.on('change', (c) => seen.push(c))
  return seen
}
/** The object ids the document shows, in list order. */
const idsIn = (doc: A.Doc<SegmentDoc>) => doc.messages.map((m) => A.getObjectId(m))

test('an append to a new segment starts it from its genesis; its ids are the objects the document shows; the event carries the entries', async () => {
  const docs = open(createMemoryStore(), ALICE)
  const seen = changesOf(docs)
  const seg = freshId()
  const records = [msg(1), msg(2, { exp: 99, fwd: true }), msg(3, { replyTo: s('1@' + 'cd'.repeat(32)) })]
  const made = (await docs.append(seg, records, 5000))!
  expect(made.ids).toEqual(idsIn((await docs.doc<SegmentDoc>(seg))!))
  expect(made.ids.every((id) => id.endsWith(`@${ALICE}`))).toBe(true)
  expect(seen).toEqual([{ doc: seg, local: true, version: 1, appended: { before: 0, entries: records.map((rec, i) => ({ id: made.ids[i], rec })) } }])
  // The change is the one a reader gets: it carries the three records.
  const change = A.decodeChange(made.change)
  expect(change.actor).toBe(ALICE)
  expect(change.time).toBe(5)
})

test('appends on a held segment read as Automerge\'s change would have made them, through later changes and a reload', async () => {
  const store = createMemoryStore()
  const docs = open(store, ALICE)
  const seg = freshId()
  // The first write of a segment through Automerge's change, then appends, then a change again.
  await docs.change<SegmentDoc>(seg, [(d) => void d.messages.push(msg(0))])
  const a = (await docs.append(seg, [msg(1), msg(2)]))!
  const b = (await docs.append(seg, [msg(3, { files: [{ id: s('f') } as never], mentions: [s('ab'.repeat(32))] })]))!
  await docs.change<SegmentDoc>(seg, [(d) => void d.messages.push(msg(4))])
  const doc = (await docs.doc<SegmentDoc>(seg))!
  expect(doc.messages.map((m) => m.text.val)).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4'])
  expect(idsIn(doc).slice(1, 4)).toEqual([...a.ids, ...b.ids]) // a nested record's id is asked of the list
  await docs.flush([seg])
  const again = open(store, ALICE)
  expect(JSON.parse(JSON.stringify(await again.doc<SegmentDoc>(seg)))).toEqual(JSON.parse(JSON.stringify(doc)))
})

test('a reader applies appended changes on the backend: the entries it is given are what its document then shows', async () => {
  const writer = open(createMemoryStore(), ALICE)
  const reader = open(createMemoryStore(), BOB)
  const seen = changesOf(reader)
  const seg = freshId()
  const first = (await writer.append(seg, [msg(1), msg(2)]))!
  const second = (await writer.append(seg, [msg(3)]))!
  for (const made of [first, second]) {
    const verdict = checkChanges([made.change], ALICE, 'segment')
    if (!verdict.ok) throw new Error('refused')
    expect(verdict.appended?.map((e) => e.id)).toEqual(made.ids)
    await reader.apply(seg, [made.change], verdict.appended)
  }
  expect(seen.map((c) => c.appended && { before: c.appended.before, ids: c.appended.entries.map((e) => e.id) })).toEqual([
    { before: 0, ids: first.ids },
    { before: 1, ids: second.ids },
  ])
  const doc = (await reader.doc<SegmentDoc>(seg))!
  expect(idsIn(doc)).toEqual([...first.ids, ...second.ids])
  expect(JSON.parse(JSON.stringify(doc))).toEqual(JSON.parse(JSON.stringify((await writer.doc<SegmentDoc>(seg))!)))
})

test('a change that waits for a dependency is not announced as appended; the one that completes it is read from the document', async () => {
  const writer = open(createMemoryStore(), ALICE)
  const reader = open(createMemoryStore(), BOB)
  const seen = changesOf(reader)
  const seg = freshId()
  const first = (await writer.append(seg, [msg(1)]))!
  const second = (await writer.append(seg, [msg(2)]))!
  await reader.apply(seg, [first.change], entriesOf(first.change))
  await reader.apply(seg, [second.change], entriesOf(second.change))
  expect(seen.every((c) => c.appended)).toBe(true)
  // A third device gets the second before the first: the second waits, the first completes both.
  const late = open(createMemoryStore(), 'c3'.repeat(32))
  const lateSeen = changesOf(late)
  await late.apply(seg, [first.change], entriesOf(first.change))
  const third = (await writer.append(seg, [msg(3)]))!
  const fourth = (await writer.append(seg, [msg(4)]))!
  await late.apply(seg, [fourth.change], entriesOf(fourth.change))
  await late.apply(seg, [second.change, third.change], [...entriesOf(second.change)!, ...entriesOf(third.change)!])
  const doc = (await late.doc<SegmentDoc>(seg))!
  expect(doc.messages.map((m) => m.text.val)).toEqual(['message 1', 'message 2', 'message 3', 'message 4'])
  // The fourth waited (no change to announce); what completed it was announced without entries:
  // a window reads the document for it.
  expect(lateSeen.map((c) => c.appended?.entries.length ?? 'read')).toEqual([1, 'read'])
})

test('appendedEntries reads inserted records only: a nested object, a counter, an edit or a deletion is read from the document', () => {
  const base = A.change(A.init<SegmentDoc>({ actor: ALICE as A.ActorId }), (d) => void (d.messages = []))
  const base2 = A.applyChanges(A.init<SegmentDoc>({ actor: ALICE as A.ActorId }), [SEGMENT_GENESIS])[0]
  const last = (doc: A.Doc<SegmentDoc>, fn: (d: SegmentDoc) => void) => {
    const next = A.change(A.clone(doc, { actor: ALICE as A.ActorId }), fn)
    return { doc: next, change: A.decodeChange(A.getLastLocalChange(next)!) }
  }
  // Flat records, whichever way Automerge orders their ops (one push each, or one splice of several).
  const one = last(base2, (d) => void d.messages.push(msg(1, { fwd: true, exp: 7 })))
  expect(appendedEntries(one.change)).toEqual([{ id: A.getObjectId(one.doc.messages[0]!), rec: { ...msg(1), fwd: true, exp: 7 } }])
  const many = last(base2, (d) => void d.messages.push(msg(1), msg(2), msg(3)))
  expect(appendedEntries(many.change)?.map((e) => e.id)).toEqual(idsIn(many.doc))
  // Not a plain append: read from the document.
  expect(appendedEntries(last(base2, (d) => void d.messages.push(msg(1, { mentions: [s('x')] }))).change)).toBeUndefined()
  expect(appendedEntries(last(base2, (d) => void d.messages.push({ ...msg(1), n: new A.Counter(1) } as never)).change)).toBeUndefined()
  expect(appendedEntries(last(many.doc, (d) => void (d.messages[0]!.text = s('edited'))).change)).toBeUndefined()
  expect(appendedEntries(last(many.doc, (d) => void d.messages.splice(0, 1)).change)).toBeUndefined()
  // A list that is not the segment's (a document without the shared genesis) is not appended to.
  expect(appendedEntries(last(base, (d) => void d.messages.push(msg(1))).change)).toBeUndefined()
  expect(SEGMENT_LIST).toBe(`1@${'00'.repeat(16)}`)
})

test('a window fed appended entries lists what a window reading the document lists, and a later read of the document reports only what changed since', async () => {
  const docs = open(createMemoryStore(), ALICE)
  const clock = new HybridClock()
  const fed = new SegmentWindow(docs, clock)
  const seg = freshId()
  const reports: string[] = []
  docs.events.on('change', (c) => {
    const found = c.appended && fed.appended(CONV, seg, c.appended.before, c.version, c.appended.entries)
    if (found) reports.push(...found.added.map((m) => `added ${m.text}`))
    else void fed.scan(CONV, seg).then((f) => reports.push(...f.added.map((m) => `added ${m.text}`), ...f.updated.map((m) => `updated ${m.text}`), ...f.actions.map((a) => `action ${a.kind}`)))
  })
  const made = (await docs.append(seg, [msg(1), msg(2)]))!
  await docs.append(seg, [msg(3)])
  // A reaction through Automerge's change: the window reads the document, where the appended
  // messages are already known (nothing reported again), and an edit of one is reported once.
  await docs.change<SegmentDoc>(seg, [(d) => void d.messages.push({ id: s('r'), ts: 2000, kind: 'react', target: s(made.ids[0]!), emoji: s('👍') } as never)])
  await fed.idle()
  await docs.change<SegmentDoc>(seg, [(d) => void (d.messages[1]!.text = s('message 2, edited'))])
  await fed.idle()
  expect(reports).toEqual(['added message 1', 'added message 2', 'added message 3', 'action react', 'updated message 2, edited'])
  const read = new SegmentWindow(docs, new HybridClock())
  await read.load(CONV, seg)
  const sorted = (w: SegmentWindow) => [...w.views(CONV)].sort((a, b) => a.ts - b.ts)
  expect(sorted(fed)).toEqual(sorted(read))
  expect(sorted(read)).toEqual(readSegment((await docs.doc<SegmentDoc>(seg))!, seg))
  expect(fed.cachedMessages(seg)).toHaveLength(3)
})

function entriesOf(change: Uint8Array) {
  const verdict = checkChanges([change], ALICE, 'segment')
  return verdict.ok ? verdict.appended : undefined
}

test('a stored segment that receives appended entries before the window read it is read whole: its earlier messages are not lost from view', async () => {
  const store = createMemoryStore()
  const writer = open(store, ALICE)
  const seg = freshId()
  await writer.append(seg, [msg(1), msg(2)])
  await writer.flush([seg])
  // Restarted: the segment is in storage, not loaded; a new message arrives before it is opened.
  const docs = open(store, ALICE)
  const window = new SegmentWindow(docs, new HybridClock())
  const other = open(createMemoryStore(), BOB)
  await other.apply(seg, [A.getLastLocalChange((await writer.doc<SegmentDoc>(seg))!)!])
  const made = (await other.append(seg, [msg(3)]))!
  const seen: DocChange[] = []
  docs.events.on('change', (c) => seen.push(c))
  const verdict = checkChanges([made.change], BOB, 'segment')
  await docs.apply(seg, [made.change], verdict.ok ? verdict.appended : undefined)
  const c = seen[0]!.appended!
  // Not taken as a new segment's first entries: the window reads the document instead.
  expect(window.appended(CONV, seg, c.before, seen[0]!.version, c.entries)).toBeUndefined()
  await window.scan(CONV, seg)
  expect([...window.views(CONV)].map((m) => m.text).sort()).toEqual(['message 1', 'message 2', 'message 3'])
})

test('a segment the window loaded before it existed (the next one a writer starts) takes its first append as it comes, not by reading the document', async () => {
  const docs = open(createMemoryStore(), ALICE)
  const window = new SegmentWindow(docs, new HybridClock())
  const seg = freshId()
  await window.load(CONV, seg)
  const seen = changesOf(docs)
  await docs.append(seg, [msg(1), msg(2)])
  const c = seen[0]!
  const found = window.appended(CONV, seg, c.appended!.before, c.version, c.appended!.entries)
  expect(found?.added.map((m) => m.text)).toEqual(['message 1', 'message 2'])
  expect([...window.views(CONV)]).toEqual(readSegment((await docs.doc<SegmentDoc>(seg))!, seg))
  // A stored segment not read yet is still read whole (the test above); so is one whose first change is not an append.
  const other = freshId()
  await window.load(CONV, other)
  const later = changesOf(docs)
  await docs.change<SegmentDoc>(other, [(d) => void d.messages.push({ id: s('x'), ts: 3000, text: s('by change') } as never)])
  expect(later[0]!.appended).toBeUndefined()
})
