import { METRICS, ZERO_COUNTS, addCounts, CLIPS, type Counts, type Metric } from './counts.js'
import { addDays, daysFrom, monthOf, weekOf, type Day } from './days.js'
import { discreteLaplace, discreteLaplaceVariance, keyedUniforms } from './noise.js'

/** [Q6] The privacy loss of one metric's total on one day, for one person's device. */
export const EPSILON_PER_METRIC_DAY = 1
/** [Q6] A day's totals are final (released, and no report for it accepted) this many days after it ended. */
export const CLOSE_AFTER_DAYS = 3
/** [Q7] A breakdown cell (a version, a platform, a group) is shown only from this many people or devices. */
export const MIN_CELL = 5

/** Not below 0 (post-processing costs no privacy). */
export const floored = (c: Counts): Counts => Object.fromEntries(METRICS.map((m) => [m, Math.max(0, c[m])])) as Counts

/** The noise scale of a metric's daily total: its clip over ε. */
export const noiseScale = (m: Metric): number => CLIPS[m] / EPSILON_PER_METRIC_DAY

/** The standard deviation of the noise on one metric's daily total, and on a sum of `days` of them. */
export const noiseStdDev = (m: Metric, days = 1): number => Math.sqrt(days * discreteLaplaceVariance(noiseScale(m)))

/** What the collector keeps of a day: the sum of its reports' clipped counts and how many there were ([Q5]). */
export interface DayTotals {
  readonly sum: Counts
  readonly reports: number
}

export interface Released {
  readonly day: Day
  /** Shown: rounded, not below 0. */
  readonly values: Counts
  /** The noisy totals before the floor at 0: sums of these are unbiased (a sum of floored values is not). */
  readonly raw: Counts
}

export interface Period {
  readonly start: Day
  readonly values: Counts
}

export interface Release {
  readonly days: readonly Released[]
  readonly weeks: readonly Period[]
  readonly months: readonly Period[]
}

/**
 * [Q6] Noisy totals of closed days from `from` to `to` (days not yet closed on `today` are left
 * out): each metric's sum plus discrete Laplace noise of scale clip/ε, drawn from the collector's
 * noise secret for (organisation, day, metric), so every showing gives the same number; shown
 * rounded and not below 0 (post-processing costs no privacy). Weeks and months add the released
 * days: people active in a week are the sum of `activeWeek`, in a month of `activeMonth`.
 */
export function release(opts: { org: string; noiseSecret: Uint8Array; totals: (day: Day) => DayTotals | undefined; from: Day; to: Day; today: Day }): Release {
  const lastClosed = addDays(opts.today, -CLOSE_AFTER_DAYS - 1)
  const to = opts.to < lastClosed ? opts.to : lastClosed
  const days = daysFrom(opts.from, to).map((day): Released => {
    const sum = opts.totals(day)?.sum ?? ZERO_COUNTS
    const raw = Object.fromEntries(METRICS.map((m) => [m, sum[m] + discreteLaplace(keyedUniforms(opts.noiseSecret, `${opts.org}/${day}/${m}`), noiseScale(m))])) as Counts
    return { day, values: floored(raw), raw }
  })
  const group = (key: (d: Day) => string, people: Metric): Period[] => {
    const periods = new Map<string, Counts>()
    for (const d of days) periods.set(key(d.day), addCounts(periods.get(key(d.day)) ?? ZERO_COUNTS, d.raw))
    return [...periods].map(([start, v]) => ({ start, values: floored({ ...v, active: v[people] }) }))
  }
  return { days, weeks: group(weekOf, 'activeWeek'), months: group(monthOf, 'activeMonth') }
}

/** [Q9] A group's released days: people active in it and their messages there, with the noise of [Q6]. */
export interface GroupRelease {
  readonly group: string
  readonly name: string
  readonly people: number
  /** Each day's people active and messages, shown (floored at 0), and its messages' noisy total before the floor (`rawMessages`: sums of these are unbiased). */
  readonly days: readonly { readonly day: Day; readonly active: number; readonly messages: number; readonly rawMessages?: number }[]
  /** The period's messages: the days' noisy totals summed before their floor at 0, then floored. */
  readonly messages: number
}

export function releaseGroup(opts: { org: string; group: string; name: string; people: number; noiseSecret: Uint8Array; totals: (day: Day) => { active: number; messages: number } | undefined; from: Day; to: Day; today: Day }): GroupRelease {
  const lastClosed = addDays(opts.today, -CLOSE_AFTER_DAYS - 1)
  const to = opts.to < lastClosed ? opts.to : lastClosed
  const noisy = (day: Day, m: 'active' | 'messages', v: number) => v + discreteLaplace(keyedUniforms(opts.noiseSecret, `${opts.org}/${opts.group}/${day}/${m}`), noiseScale(m))
  let messages = 0
  const days = daysFrom(opts.from, to).map((day) => {
    const t = opts.totals(day) ?? { active: 0, messages: 0 }
    const m = noisy(day, 'messages', t.messages)
    messages += m
    return { day, active: Math.max(0, noisy(day, 'active', t.active)), messages: Math.max(0, m), rawMessages: m }
  })
  return { group: opts.group, name: opts.name, people: opts.people, days, messages: Math.max(0, messages) }
}

/** [Q7] Devices in contact, released: per day, and per ISO week and month. */
export interface ContactsRelease {
  readonly days: readonly { readonly day: Day; readonly devices: number }[]
  readonly weeks: readonly { readonly start: Day; readonly devices: number }[]
  readonly months: readonly { readonly start: string; readonly devices: number }[]
}

/**
 * [Q7] Devices in contact (those that asked for tokens) per closed day, with the noise of a count
 * of one per device (discrete Laplace, scale 1/ε), floored at 0: device management, not people.
 * Weeks and months sum their days' noisy counts of devices in contact for the first time that
 * week (month), each noised alike, so a device counts once per week and month as people do.
 */
export function releaseContacts(opts: { org: string; noiseSecret: Uint8Array; count: (day: Day) => { devices: number; firstInWeek: number; firstInMonth: number } | undefined; from: Day; to: Day; today: Day }): ContactsRelease {
  const lastClosed = addDays(opts.today, -CLOSE_AFTER_DAYS - 1)
  const to = opts.to < lastClosed ? opts.to : lastClosed
  const noisy = (day: Day, what: string, n: number) => n + discreteLaplace(keyedUniforms(opts.noiseSecret, `${opts.org}/${day}/${what}`), 1 / EPSILON_PER_METRIC_DAY)
  const days = daysFrom(opts.from, to)
  const periods = <K extends string>(key: (d: Day) => K, what: 'devicesWeek' | 'devicesMonth', first: 'firstInWeek' | 'firstInMonth') => {
    const sums = new Map<K, number>()
    for (const d of days) sums.set(key(d), (sums.get(key(d)) ?? 0) + noisy(d, what, opts.count(d)?.[first] ?? 0))
    return [...sums].map(([start, n]) => ({ start, devices: Math.max(0, n) }))
  }
  return {
    days: days.map((day) => ({ day, devices: Math.max(0, noisy(day, 'devices', opts.count(day)?.devices ?? 0)) })),
    weeks: periods(weekOf, 'devicesWeek', 'firstInWeek'),
    months: periods(monthOf, 'devicesMonth', 'firstInMonth'),
  }
}
