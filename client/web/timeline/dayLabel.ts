/**
 * [W9][W10] Times and days as a messenger shows them, in the person's locale (`locale`
 * undefined: the browser's). Days are calendar days of the device's time zone.
 */
const DAY_MS = 86_400_000

/** Midnight (local time) of the day `ts` falls in. */
export function dayStart(ts: number): number {
  const d = new Date(ts)
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
}

/** Whole calendar days from `ts`'s day to `now`'s (0 today, 1 yesterday; a DST day still counts one). */
export function daysAgo(ts: number, now: number): number {
  return Math.round((dayStart(now) - dayStart(ts)) / DAY_MS)
}

/** "today" / "yesterday" in the locale's words, with a capital first letter. */
function relativeDay(days: 0 | 1, locale: string | undefined): string {
  const word = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-days, 'day')
  return word.charAt(0).toLocaleUpperCase(locale) + word.slice(1)
}

/**
 * [W9] A conversation row's time, by age: the clock time today ("14:02"), "Yesterday", the
 * weekday within the last week ("Mon"), the short date before ("12/03/26" in en-GB).
 * A time ahead of `now` (another device's clock) counts as today.
 */
export function listTime(ts: number, now: number, locale?: string): string {
  const days = Math.max(0, daysAgo(ts, now))
  if (days === 0) return new Date(ts).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
  if (days === 1) return relativeDay(1, locale)
  if (days < 7) return new Date(ts).toLocaleDateString(locale, { weekday: 'short' })
  return new Date(ts).toLocaleDateString(locale, { day: '2-digit', month: '2-digit', year: '2-digit' })
}

/** [W10] A date separator: "Today", "Yesterday", else the weekday and date (with the year when not this year's). */
export function dayLabel(ts: number, now: number, locale?: string): string {
  const days = Math.max(0, daysAgo(ts, now))
  if (days <= 1) return relativeDay(days as 0 | 1, locale)
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear()
  return new Date(ts).toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'long', ...(sameYear ? {} : { year: 'numeric' }) })
}
