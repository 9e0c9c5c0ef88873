import * as A from '@automerge/automerge'
import { afterEach, expect, test } from 'vitest'
import { DocStore } from '../../client/core/documents/docs.js'
import { SEGMENT_GENESIS, type MessageRecord, type SegmentDoc } from '../../client/core/documents/model.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { DocId } from '../../protocol/index.js'

/**
 * [M14a] `DocStore.append` writes a run of messages as one change each, made on a copy of the
 * backend and applied in one batch: it must be indistinguishable from pushing them one change
 * at a time through the document (the bytes other devices verify and apply, [M20]).
 */
const ACTOR = 'ab'.repeat(16)
const SEG = 'AAAAAAAAAAAAAAAAAAAAAA' as DocId
const stores: DocStore[] = []
afterEach(async () => {
  for (const d of stores.splice(0)) await d.shutdown()
})

function records(from: number, n: number): MessageRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const rec: MessageRecord = { id: new A.ImmutableString(`tag-${from + i}`), ts: 1_700_000_000_000 + from + i, text: new A.ImmutableString(`message ${from + i}`) }
    // The optional fields a message may carry: nested lists and a flag.
    if ((from + i) % 3 === 1) rec.mentions = [new A.ImmutableString('cafe'), new A.ImmutableString('user-1')]
    if ((from + i) % 3 === 2) (rec.replyTo = new A.ImmutableString('3@' + ACTOR), (rec.fwd = true), (rec.exp = 1_800_000_000_000))
    return rec
  })
}

/** The reference: each record pushed through the document in its own `A.change`. */
function oneByOne(doc: A.Doc<SegmentDoc>, recs: readonly MessageRecord[], time: number): { doc: A.Doc<SegmentDoc>; changes: Uint8Array[] } {
  const changes: Uint8Array[] = []
  for (const rec of recs) {
    doc = A.change(doc, { time: Math.floor(time / 1000) }, (d) => void d.messages.push(rec))
    changes.push(A.getLastLocalChange(doc)!)
  }
  return { doc, changes }
}

const segment = () => A.applyChanges(A.init<SegmentDoc>({ actor: ACTOR as A.ActorId }), [SEGMENT_GENESIS])[0]

test('[M14a] appended messages are the same changes, byte for byte, as one A.change per message; the document reads them all', async () => {
  const docs = new DocStore(createMemoryStore(), ACTOR, () => SEGMENT_GENESIS)
  stores.push(docs)
  const time = 1_700_000_123_000
  // A new segment (materialised by the first append), then appends to the loaded one.
  const first = await docs.append(SEG, 'messages', records(0, 5), time)
  const second = await docs.append(SEG, 'messages', records(5, 40), time)
  const reference = oneByOne(segment(), records(0, 45), time)
  expect([...first!, ...second!].map((c) => Buffer.from(c).toString('hex'))).toEqual(reference.changes.map((c) => Buffer.from(c).toString('hex')))
  const doc = (await docs.doc<SegmentDoc>(SEG))!
  expect(A.getHeads(doc)).toEqual(A.getHeads(reference.doc))
  expect(doc.messages.map((m) => String(m.text))).toEqual(Array.from({ length: 45 }, (_, i) => `message ${i}`))
  // Each message object is its change's first op (its id is startOp@actor).
  const ids = doc.messages.map((m) => A.getObjectId(m))
  expect([...first!, ...second!].map((c) => `${A.decodeChange(c).startOp}@${ACTOR}`)).toEqual(ids)
})

test('[M14a] a change made through the document after an append continues the same chain (next seq, on the new heads)', async () => {
  const docs = new DocStore(createMemoryStore(), ACTOR, () => SEGMENT_GENESIS)
  stores.push(docs)
  await docs.append(SEG, 'messages', records(0, 3), 1_700_000_000_000)
  const seen: number[] = []
  docs.events.on('change', ({ local }) => seen.push(local ? 1 : 0))
  const appended = await docs.append(SEG, 'messages', records(3, 2), 1_700_000_000_000)
  expect(seen).toEqual([1]) // one Repo update, announced as local: the views scan it once
  const [after] = await docs.change<SegmentDoc>(SEG, [(d) => void d.messages.push(records(5, 1)[0]!)])
  const decoded = A.decodeChange(after!)
  expect(decoded.seq).toBe(A.decodeChange(appended!.at(-1)!).seq + 1)
  expect(decoded.deps).toEqual([A.decodeChange(appended!.at(-1)!).hash])
})

test('[M14a] a document without the list appends nothing: the caller writes through `change`', async () => {
  const docs = new DocStore(createMemoryStore(), ACTOR)
  stores.push(docs)
  await docs.change<{ n?: number }>(SEG, [(d) => void (d.n = 1)])
  expect(await docs.append(SEG, 'messages', records(0, 2))).toBeUndefined()
  expect(await docs.doc(SEG)).toEqual({ n: 1 })
})
