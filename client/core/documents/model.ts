import * as A from '@automerge/automerge'
import { deviceIdOf, docIdOf, idBytes, parseDocId, type ConvId, type DeviceId, type DocId } from '../../../protocol/index.js'
import { domainHash, fromBase64Url, fromHex } from '../../../crypto/index.js'
import { readFileRecords, type FileRecord, type FileRef } from '../files/ref.js'
import { readVerdictRecords, type ScanVerdict, type VerdictRecord } from '../scanner/verdict.js'
import { readMessageFields, type EditRecord, type MessageEdit } from './messageFields.js'
import { OBJECT_ID, refOf, type MessageRef } from './messageRef.js'

/**
 * Document shapes.
 *
 * Root document (id = conversation id): a *flat* map on the document root, which always exists,
 * so two devices starting concurrently never create rival nested containers (Automerge would
 * keep one and hide the other with everything inside it):
 *   `s:<n>` → Segment n (the conversation's name and members are in its signed graph, [T1])
 *
 * Segment document: `{ messages: MessageRecord[] }`. Appending to a list costs ~0.4 ms at 1,000
 * messages where a flat map costs ~1 ms (every change copies the map). The list is created by
 * one *genesis* change that every device makes identically (fixed actor, time 0), so it has one
 * hash everywhere and concurrent first writers share one list. Genesis is never sent: each device
 * makes it locally, and [E10] stays strict for everything that travels.
 * Text is stored as ImmutableString (ARCHITECTURE §3: ~30× fewer ops than collaborative text).
 */
export const SEGMENT_CAPACITY = 1000
export const MAX_MESSAGE_CHARS = 20_000

/**
 * `box`: the member device's X25519 public key, `mailbox`: its mailbox address (crypto [K7]), both
 * base64url (kept as strings, as every record's values: Automerge byte values are avoided, [M20]).
 */
export interface SegmentRecord { start: number }
export type RootDoc = Record<string, unknown>
/**
 * `files`: attached files ([A1]), each a record the author's change created with the message;
 * `verdicts`: a scanner's verdicts on files ([A4]). [M40]–[M44]: `edits` (the texts an edit
 * replaced), `deleted` (deleted for everyone), `mentions`, `fwd`: written by the author's device only.
 */
export interface MessageRecord {
  id: A.ImmutableString; ts: number; text: A.ImmutableString; replyTo?: A.ImmutableString
  /** [M47] The segment (document id) of the message `replyTo` names; replies before it have none. */
  replySeg?: A.ImmutableString
  files?: FileRecord[]; verdicts?: VerdictRecord[]
  edits?: EditRecord[]; deleted?: number; mentions?: A.ImmutableString[]; fwd?: boolean
  /** [M66] When the message disappears (ms), written by its author from the timer at send time. */
  exp?: number
}
export interface SegmentDoc { messages: MessageRecord[] }

const GENESIS_ACTOR = '00'.repeat(16) as A.ActorId
/** The object id of every segment's message list: the first op of the genesis change. */
export const SEGMENT_LIST = `1@${GENESIS_ACTOR}`
/** The shared first change of every segment (see above); tests pin its hash. */
export const SEGMENT_GENESIS: Uint8Array = A.getLastLocalChange(
  A.change(A.init<SegmentDoc>({ actor: GENESIS_ACTOR }), { time: 0 }, (d) => {
    d.messages = []
  }),
)!

export interface MessageView {
  /** The message object's Automerge id (`counter@authorActor`): unique, and unforgeable by others. */
  readonly id: string
  /** [M15] Its name across the conversation (`<segment>.<id>`): what actions and replies are given. */
  readonly ref: MessageRef
  /** The random id the author gave it; used only to match the author's own outbox entries. */
  readonly tag: string
  readonly segment: DocId
  /** The device whose signature covered the change that created this message ([E10]). */
  readonly author: DeviceId
  readonly ts: number
  readonly text: string
  /** [M47] The answered message's object id, and (replies written since refs) its segment and ref. */
  readonly replyTo?: string
  readonly replySeg?: DocId
  readonly replyRef?: MessageRef
  /** [A1] Attached files, parsed; a malformed one is left out. */
  readonly files?: readonly FileRef[]
  /** [A4] Verdicts on files, written by a scanner device (whose count is decided by the policy, not here). */
  readonly verdicts?: readonly ScanVerdict[]
  /** [M41] Deleted for everyone: text '', no files, edits or mentions. */
  readonly deleted?: true
  /** [M40] The texts earlier edits replaced, oldest first; `edited`: when the last edit was made. */
  readonly edits?: readonly MessageEdit[]
  readonly edited?: number
  /** [M43] Device ids (hex) or user ids the author mentioned. */
  readonly mentions?: readonly string[]
  /** [M44] Forwarded from another conversation. */
  readonly fwd?: true
  /** [M66] When it disappears (ms): as its author wrote it here; the list shows it capped by the policy ([M67]). */
  readonly exp?: number
}

export interface SegmentInfo { readonly index: number; readonly id: DocId; readonly start: number; readonly root?: DocId }

/**
 * [M24] The root document of a later *generation* of a conversation (a group without history for
 * new members starts one at each rotation, team/SPEC.md [T14]): derived from the conversation and
 * the epoch that starts it, so every device names it alike. The first generation's root is the
 * conversation id itself; a generation's segments derive from its root id ([M11]).
 */
export function generationRootId(conv: ConvId, epoch: number): DocId {
  const n = new Uint8Array(4)
  new DataView(n.buffer).setUint32(0, epoch)
  return docIdOf(domainHash('fieldchat/v1/generation-root', idBytes(conv), n).subarray(0, 16))
}

/**
 * Segment n of a conversation has a derived document id, so devices that roll over to a new
 * segment at the same time (or offline) write into the same document instead of rival ones.
 */
export function segmentDocId(conv: ConvId, index: number): DocId {
  const key = `${conv} ${index}`
  let id = segmentIds.get(key)
  if (id === undefined) {
    const n = new Uint8Array(4)
    new DataView(n.buffer).setUint32(0, index)
    id = docIdOf(domainHash('fieldchat/v1/segment-id', idBytes(conv), n).subarray(0, 16))
    // Derived again for every segment at each refresh of a root (a hash each: 0.5 ms, 100 of them at 100,000 messages).
    if (segmentIds.size >= MAX_SEGMENT_IDS) segmentIds.clear()
    segmentIds.set(key, id)
  }
  return id
}
const segmentIds = new Map<string, DocId>()
const MAX_SEGMENT_IDS = 100_000

/** The actor that created the object at `key` of `parent`: object ids are `counter@actorHex`. */
export function creatorOf(parent: unknown, key: string | number): DeviceId | undefined {
  // Ask the child object itself: getObjectId(list, 0) treats the falsy index 0 as "no key".
  const child = (parent as Record<string | number, unknown>)[key]
  const objId = child && typeof child === 'object' ? A.getObjectId(child) : null
  return objId ? creatorOfId(objId) : undefined
}

/**
 * The device whose change created the object with this id (`counter@actorHex`). Asked for every
 * message read, of few actors: each actor's hex is decoded once (parsing it again was 4% of a
 * writer's burst), remembered for the last MAX_ACTORS.
 */
export function creatorOfId(objId: string): DeviceId | undefined {
  const actor = objId.slice(objId.indexOf('@') + 1)
  if (creators.has(actor)) return creators.get(actor)
  const bytes = actor ? fromHex(actor) : undefined
  const device = bytes?.length === 32 ? deviceIdOf(bytes) : undefined
  if (creators.size >= MAX_ACTORS) creators.clear()
  creators.set(actor, device)
  return device
}
const creators = new Map<string, DeviceId | undefined>()
const MAX_ACTORS = 1024

/**
 * [M3b] An entry of a segment's list as a reader sees it: its object id and its record (the
 * object the document shows at that place, or, read without the document, the same fields).
 */
export interface SegmentEntry { readonly id: string; readonly rec: unknown }

/** The entry at `index` of a segment's list; undefined where there is no object. */
export function entryAt(doc: A.Doc<SegmentDoc>, index: number): SegmentEntry | undefined {
  const rec = messageList(doc)[index] as unknown
  const id = rec && typeof rec === 'object' ? A.getObjectId(rec) : null
  return id ? { id, rec } : undefined
}

const str = (v: unknown): string | undefined =>
  v instanceof A.ImmutableString ? v.val : typeof v === 'string' ? v : undefined

export function messageList(doc: A.Doc<SegmentDoc>): readonly MessageRecord[] {
  return Array.isArray(doc.messages) ? doc.messages : []
}

/**
 * The message at `index`; undefined when malformed, not created by a device's change, or an
 * action entry ([M42]: those carry `kind` and never `text`, so clients before them skip them too).
 */
export function readMessage(doc: A.Doc<SegmentDoc>, segment: DocId, index: number): MessageView | undefined {
  const entry = entryAt(doc, index)
  return entry && readMessageEntry(entry, segment)
}

/** The message an entry holds (see readMessage); its author is the device that created it. */
export function readMessageEntry({ id: objId, rec }: SegmentEntry, segment: DocId): MessageView | undefined {
  if (!rec || typeof rec !== 'object' || 'kind' in rec) return undefined
  const { id, ts, text, replyTo, replySeg, files, verdicts, exp } = rec as Record<string, unknown>
  const tag = str(id)
  const body = str(text)
  const author = creatorOfId(objId)
  if (!tag || typeof ts !== 'number' || !Number.isFinite(ts) || body === undefined || !author) return undefined
  const reply = readReply(replyTo, replySeg)
  const refs = files === undefined ? undefined : readFileRecords(files)
  const scans = verdicts === undefined ? undefined : readVerdictRecords(verdicts)
  // [M66] A malformed `exp` reads as none (the policy's maximum still applies, [M67]).
  const expires = typeof exp === 'number' && Number.isFinite(exp) && exp >= 0 ? { exp } : {}
  const view = { id: objId, ref: refOf(segment, objId), tag, segment, author, ts, text: body, ...reply, ...expires }
  // [M41] Deleted is read first: no later field of the record brings its content back.
  const fields = readMessageFields(rec as Record<string, unknown>)
  if (fields.deleted) return { ...view, text: '', deleted: true }
  return { ...view, ...(refs?.length ? { files: refs } : {}), ...(scans?.length ? { verdicts: scans } : {}), ...fields.extra }
}

/**
 * [M47] What a reply names: an object id, and its segment when written since refs. A malformed
 * segment drops the reply's link (the message itself is still shown), as a malformed action
 * entry is ignored ([M42]).
 */
function readReply(replyTo: unknown, replySeg: unknown): { replyTo?: string; replySeg?: DocId; replyRef?: MessageRef } {
  const id = str(replyTo)
  if (!id || !OBJECT_ID.test(id)) return {}
  if (replySeg === undefined) return { replyTo: id }
  const seg = parseDocId(str(replySeg))
  return seg ? { replyTo: id, replySeg: seg, replyRef: refOf(seg, id) } : {}
}

/** The object id at `index` without reading the rest (cheap scans for new messages). */
export function messageIdAt(doc: A.Doc<SegmentDoc>, index: number): string | undefined {
  const rec = messageList(doc)[index] as unknown
  return rec && typeof rec === 'object' ? (A.getObjectId(rec) ?? undefined) : undefined
}

export function readSegment(doc: A.Doc<SegmentDoc>, segment: DocId): MessageView[] {
  const out: MessageView[] = []
  const n = messageList(doc).length
  for (let i = 0; i < n; i++) {
    const view = readMessage(doc, segment, i)
    if (view) out.push(view)
  }
  return out
}

export function compareMessages(a: MessageView, b: MessageView): number {
  // Two segments can hold the same object id: the ref decides between them, alike everywhere.
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)
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
