import * as A from '@automerge/automerge'
import { z } from 'zod'
import { parseDocId, type DeviceId, type DocId } from '../../../protocol/index.js'
import { creatorOfId, entryAt, type SegmentDoc, type SegmentEntry } from './model.js'
import { OBJECT_ID } from './messageRef.js'

/**
 * [M42] Reactions and pins are entries of their own in a segment's list, beside the messages:
 * small maps with a `kind` and no `text`, each created by its author's change. Many people react
 * at once without touching the message (which only its author may write, [M20]); taking a
 * reaction back deletes one's own entry, which [M20] allows. Entries are untrusted input: one
 * that fails the schema is ignored.
 */
/** `seg`: the document id of the target's segment ([M15]); entries written before it have none. */
export interface ReactRecord { id: A.ImmutableString; ts: number; kind: 'react'; target: A.ImmutableString; seg?: A.ImmutableString; emoji: A.ImmutableString }
export interface PinRecord { id: A.ImmutableString; ts: number; kind: 'pin'; target: A.ImmutableString; seg?: A.ImmutableString; on: boolean }
export type ActionRecord = ReactRecord | PinRecord

interface ActionBase {
  /** The entry's object id (`counter@authorActor`). */
  readonly id: string
  readonly segment: DocId
  /** The device whose change created the entry ([M15]). */
  readonly author: DeviceId
  readonly ts: number
  /** The object id of the message it is about. */
  readonly target: string
  /** The segment holding that message; absent in entries written before refs ([M15], see fold.ts). */
  readonly targetSeg?: DocId
}
export type ActionView = (ActionBase & { readonly kind: 'react'; readonly emoji: string }) | (ActionBase & { readonly kind: 'pin'; readonly on: boolean })

/** [M42] Distinct reactions one device may put on one message (more from a modified client are ignored). */
export const MAX_REACTIONS_PER_DEVICE = 8
/** [M42] UTF-16 units of one reaction. */
export const MAX_EMOJI_UNITS = 16

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' })

/** [M42] One grapheme cluster of at most 16 UTF-16 units, with no white space or control character. */
export function isReaction(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_EMOJI_UNITS || /[\s\p{Cc}]/u.test(s)) return false
  const it = segmenter.segment(s)[Symbol.iterator]()
  const first = it.next()
  return !first.done && first.value.segment === s
}

const stringOf = (v: unknown): unknown => (v instanceof A.ImmutableString ? v.val : v)
const str = (schema: z.ZodString) => z.preprocess(stringOf, schema)
/** Message object ids: `counter@actor`, the actor a device key (64 hex). */
export const objectIdSchema = str(z.string().regex(OBJECT_ID))
/** A segment's document id; a malformed one fails the whole entry. */
const segSchema = z.preprocess(stringOf, z.string().transform((s, ctx) => parseDocId(s) ?? (ctx.addIssue({ code: 'custom', message: 'not a document id' }), z.NEVER)))
const base = { id: str(z.string().min(1).max(64)), ts: z.number().nonnegative(), target: objectIdSchema, seg: segSchema.optional() }
const actionSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('react'), emoji: str(z.string().refine(isReaction)) }),
  z.object({ ...base, kind: z.literal('pin'), on: z.boolean() }),
])

/** The action entry at `index`; undefined for messages and for anything malformed. */
export function readAction(doc: A.Doc<SegmentDoc>, segment: DocId, index: number): ActionView | undefined {
  const entry = entryAt(doc, index)
  return entry && readActionEntry(entry, segment)
}

export function readActionEntry({ id, rec }: SegmentEntry, segment: DocId): ActionView | undefined {
  if (!rec || typeof rec !== 'object' || !('kind' in rec)) return undefined
  const parsed = actionSchema.safeParse(rec)
  const author = creatorOfId(id)
  if (!parsed.success || !author) return undefined
  const { ts, target, seg } = parsed.data
  const at = { id, segment, author, ts, target, ...(seg ? { targetSeg: seg } : {}) }
  return parsed.data.kind === 'react' ? { ...at, kind: 'react', emoji: parsed.data.emoji } : { ...at, kind: 'pin', on: parsed.data.on }
}
