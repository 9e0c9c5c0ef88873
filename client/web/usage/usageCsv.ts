import { METRICS } from '../../core/stats/counts.js'
import type { UsageReport } from '../../core/stats/stats.js'

/**
 * [W38] The usage report as CSV (RFC 4180, CRLF): one row per released day, week and month with
 * every metric and the devices in contact ([Q7]; empty where the report has none), the period's kind first. Days are their noisy totals as drawn, which may be below
 * 0 (a spreadsheet summing them gets an unbiased total); weeks and months are floored at 0. Every cell is a day, a month or a number the app made:
 * nothing a person typed, so nothing a spreadsheet would run as a formula.
 */
export function usageCsv(r: UsageReport): string {
  const header = ['period', 'start', ...METRICS, 'devices']
  const devices = (list: readonly { start: string; devices: number }[] | undefined, start: string) => String(list?.find((e) => e.start === start)?.devices ?? '')
  const days = (r.devicesInContact ?? []).map((c) => ({ start: c.day, devices: c.devices }))
  const rows = [
    ...r.days.map((d) => ['day', d.day, ...METRICS.map((m) => String(d.raw[m])), devices(days, d.day)]),
    ...r.weeks.map((w) => ['week', w.start, ...METRICS.map((m) => String(w.values[m])), devices(r.devicesInContactByWeek, w.start)]),
    ...r.months.map((m) => ['month', m.start, ...METRICS.map((k) => String(m.values[k])), devices(r.devicesInContactByMonth, m.start)]),
  ]
  return [header, ...rows].map((row) => row.join(',')).join('\r\n') + '\r\n'
}

/** `usage-<org>-<from>-<to>.csv`, safe as a file name. */
export const usageCsvName = (r: UsageReport): string => `usage-${r.org.slice(0, 8)}-${r.from}-${r.to}.csv`.replace(/[^A-Za-z0-9._-]/g, '_')
