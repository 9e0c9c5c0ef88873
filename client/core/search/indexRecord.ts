import * as z from 'zod'
import { parseDeviceId, type ConvId, type DocId } from '../../../protocol/index.js'
import { MAX_MESSAGE_CHARS } from '../documents/model.js'
import type { Key, WriteOp } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { SegmentIndex, type IndexInput } from './segmentIndex.js'

/**
 * [M50][M53][M54] The search index as stored: one record per segment, `search/<conv>/<segment>`,
 * in the device's LocalStore (encrypted at rest, [M28]), and `search/<conv>/<segment>/stale` while
 * the segment may hold more than its record (written when the segment changes, removed with the
 * record that covers the change). Everything under `search/<conv>` goes with the conversation
 * ([M30]: wipe/erase.ts lists the namespace). A record holds the segment's indexed messages with
 * the author name and title each was indexed under (as two tables); the MiniSearch index is built
 * from them when the record is read (segmentIndex.ts: `SegmentIndex.of`).
 */
export const SEARCH = 'search'
/** Raised whenever what a record holds, or how it is indexed, changes: other formats are rebuilt. */
export const SEARCH_FORMAT = 2

export const recordKey = (conv: ConvId, seg: DocId): Key => [SEARCH, conv, seg]
export const staleKey = (conv: ConvId, seg: DocId): Key => [SEARCH, conv, seg, 'stale']

const TABLE_MAX = 100_000
/** [id, ts, author, text, index of its author's name in `names`, index of the title in `titles`]. */
const message = z.tuple([z.string().min(1).max(200), z.number().finite(), z.string().max(64), z.string().max(MAX_MESSAGE_CHARS), z.number().int().nonnegative(), z.number().int().nonnegative()])
const versionOnly = z.object({ v: z.number().int() })
const schema = z.object({
  v: z.number().int(),
  /** Message entries of the segment's list the record covers ([M53]). */
  count: z.number().int().nonnegative(),
  names: z.array(z.string().max(1000)).max(TABLE_MAX),
  titles: z.array(z.string().max(1000)).max(TABLE_MAX),
  msgs: z.array(message).max(1_000_000),
})

export function writeIndex(conv: ConvId, seg: DocId, index: SegmentIndex, count: number): WriteOp[] {
  const names = new Table()
  const titles = new Table()
  const msgs = index.list().map((m) => [m.id, m.ts, m.author, m.text, names.at(m.authorName), titles.at(m.title)])
  return [
    { key: recordKey(conv, seg), value: encodeRecord({ v: SEARCH_FORMAT, count, names: names.list, titles: titles.list, msgs }) },
    { key: staleKey(conv, seg), value: undefined },
  ]
}

export const staleMark = (conv: ConvId, seg: DocId): WriteOp => ({ key: staleKey(conv, seg), value: new Uint8Array([1]) })

/**
 * [M54] A stored record, read: the index, or why it must be built again from the document
 * (`old`: another format; `corrupt`: not a record, a message that does not parse, a name or
 * title that is not in its table, or a message id twice).
 */
export type ReadIndex = { readonly ok: true; readonly index: SegmentIndex; readonly count: number } | { readonly ok: false; readonly why: 'old' | 'corrupt' }

export function readIndex(bytes: Uint8Array): ReadIndex {
  const version = decodeRecord(bytes, versionOnly)
  if (version && version.v !== SEARCH_FORMAT) return { ok: false, why: 'old' }
  const rec = decodeRecord(bytes, schema)
  if (!rec) return { ok: false, why: 'corrupt' }
  const msgs: IndexInput[] = []
  for (const [id, ts, author, text, name, title] of rec.msgs) {
    const device = parseDeviceId(author)
    const authorName = rec.names[name]
    const convTitle = rec.titles[title]
    if (!device || authorName === undefined || convTitle === undefined) return { ok: false, why: 'corrupt' }
    msgs.push({ id, ts, author: device, text, authorName, title: convTitle })
  }
  try {
    return { ok: true, index: SegmentIndex.of(msgs), count: rec.count }
  } catch {
    return { ok: false, why: 'corrupt' }
  }
}

/** Distinct strings, each written once, named by position. */
class Table {
  readonly list: string[] = []
  private readonly positions = new Map<string, number>()
  at(s: string): number {
    let i = this.positions.get(s)
    if (i === undefined) (this.positions.set(s, (i = this.list.length)), this.list.push(s))
    return i
  }
}
