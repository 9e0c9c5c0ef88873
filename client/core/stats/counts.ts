import { z } from 'zod'

/**
 * [Q2] What one device counts of its person's day in one organisation, and the most each counts
 * for (the clip): a report's value above its clip counts as the clip, so no device, honest or
 * not, moves a total by more than its clip ([Q5]), and the noise ([Q6]) is scaled to it.
 * - `active`: the person did anything in the organisation that day (wrote, sent a file, called);
 * - `activeWeek` / `activeMonth`: this was their first active day of the ISO week / the month,
 *   so that summing them counts people, not days;
 * - `messages`, `files`, `fileMb` (whole MiB, rounded up), `calls` (started), `callMinutes`
 *   (minutes this device was in calls, started or joined).
 */
export const METRICS = ['active', 'activeWeek', 'activeMonth', 'messages', 'files', 'fileMb', 'calls', 'callMinutes'] as const
export type Metric = (typeof METRICS)[number]
export type Counts = Readonly<Record<Metric, number>>

export const CLIPS: Counts = { active: 1, activeWeek: 1, activeMonth: 1, messages: 50, files: 10, fileMb: 200, calls: 10, callMinutes: 240 }

export const ZERO_COUNTS: Counts = { active: 0, activeWeek: 0, activeMonth: 0, messages: 0, files: 0, fileMb: 0, calls: 0, callMinutes: 0 }

const count = z.number().int().min(0).max(1_000_000)
export const countsSchema = z.object({ active: count, activeWeek: count, activeMonth: count, messages: count, files: count, fileMb: count, calls: count, callMinutes: count }).strict()

export function clipCounts(c: Counts): Counts {
  return Object.fromEntries(METRICS.map((m) => [m, Math.min(Math.max(0, Math.floor(c[m])), CLIPS[m])])) as Counts
}

export function addCounts(a: Counts, b: Partial<Counts>): Counts {
  return Object.fromEntries(METRICS.map((m) => [m, a[m] + (b[m] ?? 0)])) as Counts
}
