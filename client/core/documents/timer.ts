import * as A from '@automerge/automerge'
import { z } from 'zod'
import type { DeviceId, DocId } from '../../../protocol/index.js'
import { creatorOfId, entryAt, type SegmentDoc, type SegmentEntry } from './model.js'

/**
 * [M65] A conversation's disappearing-messages timer: entries of their own in a segment's list,
 * like pins ([M46]): `{ id, ts, kind: 'timer', seconds }`, any member may write one, and the
 * latest (ts, id) entry of the loaded window holds. `carry`: a copy of the timer that held,
 * written with the first entry of a new segment so that a device reading only the newest
 * segments still knows it ([M66]); a copy keeps the original's `ts` and is no system line.
 */
export interface TimerRecord { id: A.ImmutableString; ts: number; kind: 'timer'; seconds: number; carry?: boolean }

export interface TimerView {
  /** The entry's object id (`counter@authorActor`). */
  readonly id: string
  readonly segment: DocId
  /** The device whose change created the entry ([M15]). */
  readonly author: DeviceId
  readonly ts: number
  /** 0: off. */
  readonly seconds: number
  readonly carry?: true
}

const MINUTE = 60
const HOUR = 3600
const DAY = 86_400
/** [M65] The timers a person can choose (seconds); 0 is off. Anything else is refused (M560) or ignored when read. */
export const TIMER_SECONDS: readonly number[] = [5 * MINUTE, HOUR, 8 * HOUR, DAY, 7 * DAY, 30 * DAY, 90 * DAY]
export const MAX_TIMER_SECONDS = 90 * DAY

export const isTimerSeconds = (s: unknown): s is number => s === 0 || (typeof s === 'number' && TIMER_SECONDS.includes(s))

const stringOf = (v: unknown): unknown => (v instanceof A.ImmutableString ? v.val : v)
const timerSchema = z.object({
  id: z.preprocess(stringOf, z.string().min(1).max(64)),
  ts: z.number().nonnegative().finite(),
  kind: z.literal('timer'),
  seconds: z.number().refine(isTimerSeconds),
  carry: z.boolean().optional(),
})

/** The timer entry at `index`; undefined for anything else and for anything malformed. */
export function readTimer(doc: A.Doc<SegmentDoc>, segment: DocId, index: number): TimerView | undefined {
  const entry = entryAt(doc, index)
  return entry && readTimerEntry(entry, segment)
}

export function readTimerEntry({ id, rec }: SegmentEntry, segment: DocId): TimerView | undefined {
  if (!rec || typeof rec !== 'object' || (rec as { kind?: unknown }).kind !== 'timer') return undefined
  const parsed = timerSchema.safeParse(rec)
  const author = creatorOfId(id)
  if (!parsed.success || !author) return undefined
  return { id, segment, author, ts: parsed.data.ts, seconds: parsed.data.seconds, ...(parsed.data.carry ? { carry: true as const } : {}) }
}

/** (ts, id) order, the same on every device. */
export const timerOrder = (a: TimerView, b: TimerView): number => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** [M65] The timer that holds: the latest (ts, id) entry; undefined when none was ever set. */
export function latestTimer(timers: Iterable<TimerView>): TimerView | undefined {
  let best: TimerView | undefined
  for (const t of timers) if (!best || timerOrder(best, t) < 0) best = t
  return best
}

/**
 * [M65] The timer new messages get: the conversation's, capped by the organisation's maximum
 * ([T21] `maxDisappearSeconds`); with the conversation's off, the maximum itself. 0: they stay.
 */
export function effectiveSeconds(conversation: number, orgMax: number | undefined): number {
  if (!orgMax) return conversation
  return conversation ? Math.min(conversation, orgMax) : orgMax
}

/** "1 day", "8 hours", "5 minutes", "off". */
export function durationText(seconds: number): string {
  if (!seconds) return 'off'
  const unit = ([[DAY, 'day'], [HOUR, 'hour'], [MINUTE, 'minute']] as const).find(([n]) => seconds % n === 0) ?? [1, 'second']
  const n = seconds / unit[0]
  return `${n} ${unit[1]}${n === 1 ? '' : 's'}`
}

/** [M65] The system line a timer change shows as. */
export function timerLine(authorName: string, seconds: number): string {
  return seconds ? `${authorName} set disappearing messages to ${durationText(seconds)}` : `${authorName} turned off disappearing messages`
}

/** [M65] "5m", "1h", "8h", "1d", "7d", "30d", "90d" or "off" as seconds; undefined for anything else. */
export function parseDuration(s: string): number | undefined {
  if (s === 'off' || s === '0') return 0
  const m = /^([1-9][0-9]{0,4})([smhd])$/.exec(s.trim())
  if (!m) return undefined
  const seconds = Number(m[1]) * { s: 1, m: MINUTE, h: HOUR, d: DAY }[m[2] as 's' | 'm' | 'h' | 'd']
  return isTimerSeconds(seconds) ? seconds : undefined
}
