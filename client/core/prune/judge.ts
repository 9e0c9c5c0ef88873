import type { ActionView } from '../documents/actions.js'
import { expiryOf, isExpired } from '../documents/expiry.js'
import type { SegmentEntries } from './entries.js'

/** [M71] What a reaction or pin is about, as far as this device can tell now. */
export type TargetState =
  /** Expired ([M67]), deleted by its author after it expired ([M68]), or in a dropped segment. */
  | { readonly expired: true }
  /** Shown until `at` (Infinity: it never expires). */
  | { readonly expired: false; readonly at: number }
  /** Not known yet (its segment has not caught up, or was not read in this pass). */
  | 'unknown'

export interface JudgeContext {
  /** This device's wall clock ([M67]). */
  readonly now: number
  /** [T21] The organisation's maximum (seconds), which caps every message's life. */
  readonly orgMax: number | undefined
  readonly target: (a: ActionView) => TargetState
  /**
   * The latest `ts` of the timer entries in the conversation's writable segment (-Infinity: none).
   * A timer entry may go only when that segment holds it, or a later one, too ([M66]'s copy):
   * dropping it then does not change the conversation's timer.
   */
  readonly newestTimerTs: number
}

/** How long a segment waits before it is judged again when something about it was not known. */
export const UNKNOWN_RETRY_MS = 60_000

/** `timerHeld`: a timer entry the writable segment does not hold (yet) kept it: judged again when that segment changes. */
export type Verdict = { readonly drop: true } | { readonly drop: false; readonly lookAgainAt: number; readonly timerHeld?: true }

/**
 * [M71] A segment may be dropped on this device once every entry in it is an expired message,
 * a reaction or pin on an expired message, or a timer entry the writable segment also holds.
 * Otherwise: when to look again (the latest time one of its entries stops being shown; Infinity
 * when one never does, until the segment changes).
 */
export function judgeSegment(entries: SegmentEntries, ctx: JudgeContext): Verdict {
  let until = -Infinity
  for (const m of entries.messages) {
    const exp = expiryOf(m, ctx.orgMax)
    if (!isExpired(exp, ctx.now)) until = Math.max(until, exp ?? Infinity)
  }
  for (const a of entries.actions) {
    const t = ctx.target(a)
    if (t === 'unknown') until = Math.max(until, ctx.now + UNKNOWN_RETRY_MS)
    else if (!t.expired) until = Math.max(until, t.at)
  }
  // The writable segment gets the copy with its first write ([M66]): judged again when it changes.
  const timerHeld = entries.timers.some((t) => t.ts > ctx.newestTimerTs)
  if (timerHeld) until = Infinity
  return until === -Infinity ? { drop: true } : { drop: false, lookAgainAt: until, ...(timerHeld ? { timerHeld: true as const } : {}) }
}
