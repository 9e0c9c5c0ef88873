import * as A from '@automerge/automerge'
import { deviceIdOf, docIdOf, idBytes, type ConvId, type DeviceId, type DocId } from '../../protocol/index.js'
import { domainHash, fromHex } from '../../crypto/index.js'

/**
 * Document shapes. Both are *flat* maps on the document root, which always exists: two devices
 * that start writing concurrently never create rival nested containers (which Automerge would
 * resolve by hiding one of them and every message inside it).
 *
 * Root document (id = conversation id):  `title` → string, `m:<deviceId>` → Member, `s:<n>` → Segment n
 * Segment document (≤ SEGMENT_CAPACITY messages):  `<messageId>` → MessageRecord
 * Text is stored as ImmutableString (ARCHITECTURE §3: ~30× fewer ops than collaborative text).
 */
export const SEGMENT_CAPACITY = 1000
export const MAX_MESSAGE_CHARS = 20_000

export interface MemberRecord { name: A.ImmutableString; at: number }
export interface SegmentRecord { start: number }
export type RootDoc = Record<string, unknown>
export interface MessageRecord { ts: number; text: A.ImmutableString; replyTo?: A.ImmutableString }
export type SegmentDoc = Record<string, MessageRecord>

export interface MessageView {
  readonly id: string
  readonly segment: DocId
  /** The device whose signature covered the change that created this message ([E10]). */
  readonly author: DeviceId
  readonly ts: number
  readonly text: string
  readonly replyTo?: string
}

export interface SegmentInfo { readonly index: number; readonly id: DocId; readonly start: number }

/**
 * Segment n of a conversation has a derived document id, so devices that roll over to a new
 * segment at the same time (or offline) write into the same document instead of rival ones.
 */
export function segmentDocId(conv: ConvId, index: number): DocId {
  const n = new Uint8Array(4)
  new DataView(n.buffer).setUint32(0, index)
  return docIdOf(domainHash('fieldchat/v1/segment-id', idBytes(conv), n).subarray(0, 16))
}

/** The actor that created the object stored under `key`: object ids are `counter@actorHex`. */
export function creatorOf(doc: A.Doc<unknown>, key: string): DeviceId | undefined {
  const objId = A.getObjectId(doc, key)
  const actor = objId?.slice(objId.indexOf('@') + 1)
  const bytes = actor ? fromHex(actor) : undefined
  return bytes?.length === 32 ? deviceIdOf(bytes) : undefined
}

const str = (v: unknown): string | undefined =>
  v instanceof A.ImmutableString ? v.val : typeof v === 'string' ? v : undefined

/** Messages of one segment; records that are malformed or not created by a device are skipped. */
export function readSegment(doc: A.Doc<SegmentDoc>, segment: DocId, keys: Iterable<string> = Object.keys(doc)): MessageView[] {
  const out: MessageView[] = []
  for (const id of keys) {
    const view = readMessage(doc, segment, id)
    if (view) out.push(view)
  }
  return out
}

export function readMessage(doc: A.Doc<SegmentDoc>, segment: DocId, id: string): MessageView | undefined {
  const rec = doc[id] as unknown
  if (!rec || typeof rec !== 'object') return undefined
  const { ts, text, replyTo } = rec as Record<string, unknown>
  const body = str(text)
  const author = creatorOf(doc, id)
  if (typeof ts !== 'number' || !Number.isFinite(ts) || body === undefined || !author) return undefined
  const reply = str(replyTo)
  return reply ? { id, segment, author, ts, text: body, replyTo: reply } : { id, segment, author, ts, text: body }
}

export function compareMessages(a: MessageView, b: MessageView): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function readTitle(root: A.Doc<RootDoc>): string {
  return str(root.title) ?? ''
}

/** Display names: only a device's own entry counts, so nobody can rename someone else. */
export function readMembers(root: A.Doc<RootDoc>): Map<DeviceId, string> {
  const out = new Map<DeviceId, string>()
  for (const key of Object.keys(root)) {
    if (!key.startsWith('m:')) continue
    const device = key.slice(2) as DeviceId
    const rec = root[key] as Partial<MemberRecord> | undefined
    const name = str(rec?.name)
    if (name && creatorOf(root, key) === device) out.set(device, name)
  }
  return out
}

export function readSegments(conv: ConvId, root: A.Doc<RootDoc>): SegmentInfo[] {
  const out: SegmentInfo[] = []
  for (const key of Object.keys(root)) {
    if (!/^s:(0|[1-9][0-9]{0,8})$/.test(key)) continue
    const rec = root[key] as Partial<SegmentRecord> | undefined
    const index = Number(key.slice(2))
    if (typeof rec?.start === 'number') out.push({ index, id: segmentDocId(conv, index), start: rec.start })
  }
  return out.sort((a, b) => a.index - b.index) // newest last
}
