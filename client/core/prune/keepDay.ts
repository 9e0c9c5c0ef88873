import { MAX_KEEP_DAY } from '../../../protocol/index.js'

/**
 * [M71] "Keep until" days (protocol [S56]): days since 1970-01-01 UTC, 0 meaning forever. Each
 * envelope of a push names one; the server drops a document once the latest day its envelopes
 * named has passed, and never while one of them said forever.
 */
export const DAY_MS = 86_400_000
/** Forever. */
export const KEEP_FOREVER = 0
/** Days added after the day a change's messages expire: clocks that disagree, and rounding. */
const MARGIN_DAYS = 2

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS)

/**
 * The day a change written at `wallMs` (this device's wall clock) is kept until, while messages
 * written now live `effectiveSeconds` ([M65]); 0 (forever) when the timer is off. A day beyond
 * what the protocol carries (a clock decades off) is forever too: never dropped early.
 */
export function keepDay(wallMs: number, effectiveSeconds: number): number {
  if (!effectiveSeconds || !Number.isFinite(wallMs) || wallMs < 0) return KEEP_FOREVER
  return bounded(dayOf(wallMs + effectiveSeconds * 1000) + MARGIN_DAYS)
}

/**
 * The day for a change that holds no message content of its own (it deletes expired entries, or
 * sets the timer, [M71]): two days after it was made. It never keeps a document longer than that,
 * and never shortens what the other envelopes of the document ask for (the server keeps the latest).
 */
export function contentFreeDay(wallMs: number): number {
  if (!Number.isFinite(wallMs) || wallMs < 0) return KEEP_FOREVER
  return bounded(dayOf(wallMs) + MARGIN_DAYS)
}

const bounded = (day: number): number => (day > 0 && day <= MAX_KEEP_DAY ? day : KEEP_FOREVER)

/**
 * The day of changes sealed together (one envelope, or everything of a chain a snapshot covers):
 * forever when any of them is forever, else the latest. `acc` undefined: nothing yet.
 */
export function combineKeep(acc: number | undefined, day: number): number {
  if (acc === undefined) return day
  return acc === KEEP_FOREVER || day === KEEP_FOREVER ? KEEP_FOREVER : Math.max(acc, day)
}
