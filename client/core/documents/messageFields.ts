import * as A from '@automerge/automerge'
import { z } from 'zod'

/**
 * [M40]–[M44] The fields a message record gains after it is written, all by its author's device
 * ([M20]: nobody else may write into the record): the texts its edits replaced, deletion for
 * everyone, mentions, and the forwarded flag. Parsed here from untrusted records: a malformed
 * field is left out, never half-read.
 */
export interface MessageEdit {
  /** The text this edit replaced. */
  readonly text: string
  /** When the edit was made (the author's clock, [M14]). */
  readonly ts: number
}
export interface EditRecord { text: A.ImmutableString; ts: number }

/** Edits kept and shown per message (an author's own client could write more; the newest count). */
export const MAX_EDITS = 100
/** [M43] Mentions per message. */
export const MAX_MENTIONS = 50
const MAX_TEXT = 20_000

const stringOf = (v: unknown): unknown => (v instanceof A.ImmutableString ? v.val : v)
const text = (max: number) => z.preprocess(stringOf, z.string().max(max))
const time = z.number().nonnegative()
const editSchema = z.object({ text: text(MAX_TEXT), ts: time })
/** [M43] A mention names a device (hex of its signing key) or a person (a user id of the directory, [T2]). */
export const mentionSchema = z.preprocess(stringOf, z.string().regex(/^(?:[0-9a-f]{64}|[A-Za-z0-9_-]{16})$/))

export interface MessageFields {
  /** [M41] The record says deleted: the view is a placeholder whatever else it holds. */
  readonly deleted: boolean
  readonly extra: { edits?: MessageEdit[]; edited?: number; mentions?: string[]; fwd?: true }
}

export function readMessageFields(rec: Record<string, unknown>): MessageFields {
  if (rec.deleted !== undefined) return { deleted: true, extra: {} }
  const extra: { edits?: MessageEdit[]; edited?: number; mentions?: string[]; fwd?: true } = {}
  if (Array.isArray(rec.edits) && rec.edits.length) {
    const edits = rec.edits.slice(-MAX_EDITS).flatMap((e: unknown) => {
      const parsed = editSchema.safeParse(e)
      return parsed.success ? [parsed.data] : []
    })
    if (edits.length) {
      extra.edits = edits
      extra.edited = edits[edits.length - 1]!.ts
    }
  }
  if (Array.isArray(rec.mentions) && rec.mentions.length) {
    const mentions = [...new Set(rec.mentions.slice(0, MAX_MENTIONS).flatMap((m: unknown) => {
      const parsed = mentionSchema.safeParse(m)
      return parsed.success ? [parsed.data] : []
    }))]
    if (mentions.length) extra.mentions = mentions
  }
  if (rec.fwd === true) extra.fwd = true
  return { deleted: false, extra }
}
