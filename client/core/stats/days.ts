/** A calendar day in UTC, `YYYY-MM-DD`: every device and the collector count days alike ([Q1]). */
export type Day = string

const DAY_MS = 86_400_000
export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/

export const dayOf = (ms: number): Day => new Date(ms).toISOString().slice(0, 10)

export const dayStart = (day: Day): number => Date.parse(`${day}T00:00:00Z`)

export const addDays = (day: Day, n: number): Day => dayOf(dayStart(day) + n * DAY_MS)

/** The Monday that starts the day's ISO week. */
export function weekOf(day: Day): Day {
  const weekday = (new Date(dayStart(day)).getUTCDay() + 6) % 7
  return addDays(day, -weekday)
}

export const monthOf = (day: Day): string => day.slice(0, 7)

/** Every day from `from` to `to`, both included (at most `max`). */
export function daysFrom(from: Day, to: Day, max = 3660): Day[] {
  const out: Day[] = []
  for (let d = from; d <= to && out.length < max; d = addDays(d, 1)) out.push(d)
  return out
}

/** A real calendar day (not 2026-02-30). */
export const isDay = (s: string): boolean => DAY_PATTERN.test(s) && !Number.isNaN(dayStart(s)) && dayOf(dayStart(s)) === s
