import * as z from 'zod'
import { asBoxPublicKey, createSigner, openLockbox, sealLockbox, toHex, utf8, type DeviceKeys } from '../../../crypto/index.js'
import { parseDeviceId } from '../../../protocol/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { METRICS } from './counts.js'
import { addDays, isDay, type Day } from './days.js'
import type { UsageReport } from './usageReport.js'

/**
 * [Q10] The collector's released report, shared with the organisation's other admin devices once a
 * day: a lockbox to each, signed by the collector. It holds only what the collector's own page
 * shows (noisy totals, device facts, thresholded breakdowns), never a report or a sum.
 */
const SHARE_CONTEXT = 'fieldchat/v1/stats/share'
/** Days a shared report covers. */
export const SHARED_DAYS = 365

const num = z.number().finite()
const counts = z.object(Object.fromEntries(METRICS.map((m) => [m, num])) as Record<(typeof METRICS)[number], typeof num>).strict()
const day = z.string().refine(isDay)
const name = z.string().max(200)
const cell = z.object({ name, devices: num }).strict()
const reportSchema = z
  .object({
    org: z.string().max(64),
    from: day,
    to: day,
    lastClosedDay: day,
    days: z.array(z.object({ day, values: counts, raw: counts }).strict()).max(SHARED_DAYS + 1),
    weeks: z.array(z.object({ start: day, values: counts }).strict()).max(60),
    months: z.array(z.object({ start: z.string().regex(/^\d{4}-\d{2}$/), values: counts }).strict()).max(14),
    privacy: z.object({ epsilonPerMetricDay: num, clips: counts, noiseStdDev: counts, minCell: num, closeAfterDays: num }).strict(),
    devicesInContact: z.array(z.object({ day, devices: num }).strict()).max(SHARED_DAYS + 1),
    devicesInContactByWeek: z.array(z.object({ start: day, devices: num }).strict()).max(60).optional(),
    devicesInContactByMonth: z.array(z.object({ start: z.string().regex(/^\d{4}-\d{2}$/), devices: num }).strict()).max(14).optional(),
    devices: z.array(z.object({ device: z.string().max(64).transform((d, c) => parseDeviceId(d) ?? (c.addIssue({ code: 'custom', message: 'not a device id' }), z.NEVER)), lastDay: day, version: z.string().max(32), platform: z.string().max(32), person: name, daysSilent: num }).strict()).max(100_000),
    versions: z.array(cell).max(10_000),
    platforms: z.array(cell).max(10_000),
    groups: z.object({ count: num, sizes: z.array(z.object({ bucket: z.string().max(16), groups: num }).strict()).max(16) }).strict(),
    groupActivity: z.array(z.object({ group: z.string().max(64), name, people: num, days: z.array(z.object({ day, active: num, messages: num, rawMessages: num.optional() }).strict()).max(SHARED_DAYS + 1), messages: num }).strict()).max(2_000),
    storage: z.object({ bytes: num, pending: num, quotaBytes: num, asOf: day }).strict().optional(),
    invitations: z.object({ made: num, accepted: num, open: num, expired: num, revoked: num }).strict(),
    sharedOn: day.optional(),
  })
  .strict()
const shareSchema = z.object({ t: z.literal('stats-share/1'), r: reportSchema }).strict()

const ctx = (org: string) => utf8.encode(`${SHARE_CONTEXT}/${org}`)

export function sealShare(report: UsageReport, adminBox: Uint8Array, me: DeviceKeys): Promise<Uint8Array> {
  return sealLockbox(encodeRecord({ t: 'stats-share/1', r: report }), asBoxPublicKey(adminBox), ctx(report.org), createSigner(me.signSecret))
}

/** A shared report for one of `orgs`, with the hex key of the device that signed it; undefined for anything else. */
export async function openShare(body: Uint8Array, me: DeviceKeys, orgs: readonly string[]): Promise<{ report: UsageReport; signedBy: string } | undefined> {
  for (const o of orgs) {
    const opened = await openLockbox(body, me.boxPublic, me.boxSecret, ctx(o))
    if (!opened.ok) continue
    const rec = decodeRecord(opened.value.secret, shareSchema)
    return rec && rec.r.org === o ? { report: rec.r, signedBy: toHex(opened.value.sender) } : undefined
  }
  return undefined
}

/** The part of a shared report within `from`–`to` (weeks and months that overlap it). */
export function withinRange(r: UsageReport, from: Day, to: Day): UsageReport {
  return {
    ...r,
    from,
    to,
    days: r.days.filter((d) => d.day >= from && d.day <= to),
    devicesInContact: r.devicesInContact.filter((d) => d.day >= from && d.day <= to),
    ...(r.devicesInContactByWeek ? { devicesInContactByWeek: r.devicesInContactByWeek.filter((w) => addDays(w.start, 6) >= from && w.start <= to) } : {}),
    ...(r.devicesInContactByMonth ? { devicesInContactByMonth: r.devicesInContactByMonth.filter((m) => `${m.start}-31` >= from && `${m.start}-01` <= to) } : {}),
    weeks: r.weeks.filter((w) => addDays(w.start, 6) >= from && w.start <= to),
    months: r.months.filter((m) => `${m.start}-31` >= from && `${m.start}-01` <= to),
    groupActivity: r.groupActivity.map((g) => {
      const days = g.days.filter((d) => d.day >= from && d.day <= to)
      // Summed before the floor at 0 where the days carry it (a sum of floored days is biased up).
      return { ...g, days, messages: Math.max(0, days.reduce((n, d) => n + (d.rawMessages ?? d.messages), 0)) }
    }),
  }
}
export { reportSchema as sharedReportSchema }
