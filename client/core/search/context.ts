import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DisplayMessage } from '../documents/messageLog.js'
import type { SegmentInfo } from '../documents/model.js'

export interface ContextDeps {
  readonly segmentsOf: (conv: ConvId) => readonly SegmentInfo[]
  /** Adds a segment to the conversation's loaded window (as scrolling up would). */
  readonly load: (conv: ConvId, seg: DocId) => Promise<void>
  /** The loaded window's messages in display order. */
  readonly list: (conv: ConvId) => DisplayMessage[]
  /** The segment the search index has the message in. */
  readonly segmentOf: (conv: ConvId, id: string) => DocId | undefined
}

/** At most this many messages on each side of the one asked for. */
export const MAX_CONTEXT = 100

/**
 * [M52] A message with up to `before` messages before it and `after` after it, in display order,
 * for showing a search hit where it was written: its segment joins the loaded window, and so does
 * the segment before (after) it when the message is too near that end of its own. Empty when the
 * message is not on this device, or may not be shown.
 *
 * A message id (`counter@actor`) is unique within its segment's document only: two segments may
 * hold one id each. `segment` (a hit's) says which is meant; without it, the index's first guess.
 */
export async function messageContext(deps: ContextDeps, conv: ConvId, id: string, before: number, after: number, segment?: DocId): Promise<DisplayMessage[]> {
  const [b, a] = [before, after].map((n) => Math.min(MAX_CONTEXT, Math.max(0, Math.floor(Number.isFinite(n) ? n : 0)))) as [number, number]
  const seg = segment ?? deps.segmentOf(conv, id) ?? deps.list(conv).find((m) => m.id === id)?.segment
  if (seg === undefined) return []
  const segs = deps.segmentsOf(conv)
  const at = segs.findIndex((s) => s.id === seg)
  if (at < 0) return []
  const find = (list: readonly DisplayMessage[]) => list.findIndex((m) => m.id === id && m.segment === seg)
  await deps.load(conv, seg)
  const own = deps.list(conv).filter((m) => m.segment === seg)
  const k = find(own)
  if (k < 0) return []
  if (at > 0 && k < b) await deps.load(conv, segs[at - 1]!.id)
  if (at + 1 < segs.length && own.length - 1 - k < a) await deps.load(conv, segs[at + 1]!.id)
  const list = deps.list(conv)
  const i = find(list)
  return list.slice(Math.max(0, i - b), i + a + 1)
}
