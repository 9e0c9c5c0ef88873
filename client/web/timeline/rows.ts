import type { DisplayMessage } from '../../core/messenger.js'
import { dayLabel, dayStart } from './dayLabel.js'

/** [W10] Messages from one author within this long of the one before are one group (the name shown once). */
export const GROUP_MS = 5 * 60_000

/**
 * What the message list draws, one row each: "Load earlier" while older segments exist, a
 * separator where the day changes, and the messages (`grouped`: same author as the message
 * before, same day, at most GROUP_MS after it). Keys are stable across refreshes and prepends:
 * the virtualised list finds its anchor row again by key.
 */
export type TimelineRow =
  | { readonly kind: 'earlier'; readonly key: 'earlier' }
  | { readonly kind: 'day'; readonly key: string; readonly label: string }
  /** [W24] Before the first message that was unread when the conversation opened. */
  | { readonly kind: 'unread'; readonly key: 'unread' }
  | { readonly kind: 'message'; readonly key: string; readonly message: DisplayMessage; readonly grouped: boolean }

export function timelineRows(messages: readonly DisplayMessage[], opts: { now: number; hasEarlier: boolean; locale?: string; firstUnread?: string | undefined }): TimelineRow[] {
  const rows: TimelineRow[] = opts.hasEarlier ? [{ kind: 'earlier', key: 'earlier' }] : []
  let day = NaN
  let prev: DisplayMessage | undefined
  for (const m of messages) {
    const start = dayStart(m.ts)
    if (start !== day) {
      day = start
      prev = undefined
      rows.push({ kind: 'day', key: `day:${start}`, label: dayLabel(m.ts, opts.now, opts.locale) })
    }
    const key = messageKey(m)
    if (key === opts.firstUnread) {
      rows.push({ kind: 'unread', key: 'unread' })
      prev = undefined // the name is shown again below the separator
    }
    const grouped = !!prev && prev.author === m.author && m.ts - prev.ts <= GROUP_MS
    rows.push({ kind: 'message', key, message: m, grouped })
    prev = m
  }
  return rows
}

/**
 * A message's key in the list: its segment and object id (an object id is unique within its
 * segment's document only: the first message of two segments by one device can share it).
 */
export function messageKey(m: Pick<DisplayMessage, 'segment' | 'id'>): string {
  return `${m.segment}/${m.id}`
}

/** [W11] Messages after `seenKey` (the newest one the reader had at the bottom): the "Jump to newest" count. */
export function newSince(messages: readonly DisplayMessage[], seenKey: string | undefined): number {
  if (seenKey === undefined) return 0
  for (let i = messages.length - 1, n = 0; i >= 0; i--, n++) if (messageKey(messages[i]!) === seenKey) return n
  return 0
}

/**
 * The rows of `fresh`, reusing each row of `previous` whose content is the same (same message
 * object, grouping and label): the list keeps its row components — and what they hold, a photo
 * opened or a download under way — when messages arrive or load.
 */
export function reuseRows(previous: ReadonlyMap<string, TimelineRow>, fresh: readonly TimelineRow[]): { rows: TimelineRow[]; byKey: Map<string, TimelineRow> } {
  const byKey = new Map<string, TimelineRow>()
  const rows = fresh.map((r) => {
    const old = previous.get(r.key)
    const same =
      old !== undefined &&
      old.kind === r.kind &&
      (r.kind !== 'message' || (old.kind === 'message' && old.message === r.message && old.grouped === r.grouped)) &&
      (r.kind !== 'day' || (old.kind === 'day' && old.label === r.label))
    const row = same ? old : r
    byKey.set(r.key, row)
    return row
  })
  return { rows, byKey }
}
