import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import { HybridClock } from '../../client/core/documents/hlc.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { METRICS, clipCounts, ZERO_COUNTS, addCounts, type Counts } from '../../client/core/stats/counts.js'
import { addDays, dayOf, monthOf, weekOf, type Day } from '../../client/core/stats/days.js'
import { discreteLaplace, keyedUniforms } from '../../client/core/stats/noise.js'
import { noiseScale, noiseStdDev } from '../../client/core/stats/release.js'
import { decodeRecord } from '../../client/core/storage/records.js'
import * as z from 'zod'
import { until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { enrol, groupWith, userOf } from './helpers/team.js'
import { cliHome, type CliRun } from './helpers/cli.js'

/**
 * [Q1]–[Q7] Usage statistics through the real server: 30 devices over 14 simulated days (one
 * clock for all, moved a day at a time), each tallying a known pattern of activity; the admin's
 * device collects. What is released equals the clipped sums of what was received plus the noise
 * the collector's secret fixes (reproducible), within the stated noise of the truth; a device
 * removed on day 7 gets no token after, so nothing of it counts from day 8; a member cannot see
 * the statistics; the server's files hold nothing statistical.
 */
const env = useServer()
const DEVICES = Number(process.env.STATS_DEVICES ?? 30)
const DAYS = 14
let offset = 0
const clock = () => new HybridClock(() => Date.now() + offset)

/** Device i's day d (1-based): a pattern with idle days, counts above the clips, files and calls. */
function activity(i: number, d: number): Partial<Counts> | undefined {
  if ((i + d) % 3 === 0) return undefined
  const calls = (i + d) % 5 === 0 ? 1 : 0
  return { messages: (i * 7 + d * 3) % 60, files: (i + d) % 4, fileMb: ((i + d) % 4) * 3, calls, callMinutes: calls * (i % 7) * 10 }
}

const dayRecord = z.object({ sum: z.record(z.string(), z.number()), reports: z.number(), nonces: z.array(z.string()) }).loose()

test('[Q1]–[Q7] 30 devices over 14 days: the released totals are the clipped sums received plus reproducible noise, within the stated noise of the truth; a removed device counts no more; members cannot see them; the server holds nothing statistical', async () => {
  const people: Persona[] = []
  for (let i = 0; i < DEVICES; i++) people.push(await env.persona(`P${i}`, { clock: clock(), app: { version: '0.1.0', platform: i < 3 ? 'cli/rare' : 'cli/linux' }, statsTiming: { windowMs: 0, immediate: true } }))
  for (const p of people) p.messenger.start()
  const [admin, ...others] = people as [Persona, ...Persona[]]
  const org: ConvId = await enrol(admin, others, 'Acme field')
  const removed = people[DEVICES - 1]!

  // [Q9] Six people in one group (its days are broken down), four in another (never collected).
  const big = DEVICES >= 10 ? await groupWith(admin, org, 'Night crew', people.slice(1, 6)) : undefined
  const small = DEVICES >= 10 ? await groupWith(admin, org, 'Yard', people.slice(6, 9)) : undefined
  const groupOf = (i: number): ConvId | undefined => (big && i < 6 ? big : small && i >= 6 && i < 9 ? small : undefined)

  // A second admin, whose device is not the collector: it gets the collector's report ([Q10]).
  const deputy = people[1]!
  await admin.messenger.team.promote(org, userOf(deputy, org))
  await until(() => deputy.messenger.team.canAdmin(org), 'the deputy is an admin')
  await admin.messenger.stats.enable(org)
  await until(() => people.every((p) => p.messenger.stats.status(org).on), 'statistics on everywhere')
  expect(others[0]!.messenger.stats.status(org)).toMatchObject({ on: true, collectingHere: false })

  const start = dayOf(Date.now())
  const dayN = (d: number): Day => addDays(start, d - 1)
  const moveTo = (day: Day, hour: number) => (offset = Date.parse(`${day}T${String(hour).padStart(2, '0')}:00:00Z`) - Date.now())
  // Organisation tokens issued for a day (group tokens' marks name their group too).
  const issued = async (day: Day) => (await admin.store.range(['stats-issued', org, day])).filter((r) => r.key.length === 4).length
  const counted = async (day: Day) => {
    const bytes = await admin.store.get(['stats-day', org, day])
    return bytes ? decodeRecord(bytes, dayRecord)?.reports ?? 0 : 0
  }
  const live = (d: number) => people.filter((_, i) => !(i === DEVICES - 1 && d > 7))

  for (let d = 1; d <= DAYS; d++) {
    moveTo(dayN(d), 10)
    for (const [i, p] of people.entries()) {
      const a = activity(i, d)
      // What the people of a group do happens in that group's conversation.
      if (a) await p.messenger.stats.record(groupOf(i) ?? org, a)
    }
    // The first tick sends yesterday's reports (due at once here: no window, no delay); a tick that
    // sent reports asks for nothing, so the second asks for today's tokens.
    await Promise.all(people.map((p) => p.messenger.stats.tick()))
    await Promise.all(people.map((p) => p.messenger.stats.tick()))
    // Every live device asks for today's token (its heartbeat); each gets one.
    await until(async () => (await issued(dayN(d))) === live(d).length, `day ${d}: tokens issued`).catch(async (err) => {
      console.log('issued', await issued(dayN(d)), 'problems', people.flatMap((p) => p.problems).slice(0, 5), 'mail', people.map((p) => p.messenger.queuedMail))
      throw err
    })
    // …and has it, unblinded and checked, before the day ends.
    await until(async () => (await Promise.all(live(d).map(async (p) => { const b = await p.store.get(['stats-tok', org, dayN(d)]); return !!b && !!decodeRecord(b, z.object({ s: z.instanceof(Uint8Array) }).loose()) }))).every(Boolean), `day ${d}: every device holds its token`)
    if (d > 1) await until(async () => (await counted(dayN(d - 1))) === expectedReports(d - 1), `day ${d - 1}: reports counted`)
    if (d === 7) {
      // Removed on day 7, after its token for the day.
      await admin.messenger.team.removeFromOrg(org, userOf(removed, org))
      await until(() => !removed.messenger.team.orgState(org), 'the removed device has lost the organisation')
    }
  }
  moveTo(dayN(DAYS + 1), 10)
  await Promise.all(people.map((p) => p.messenger.stats.tick()))
  await until(async () => (await counted(dayN(DAYS))) === expectedReports(DAYS), `day ${DAYS}: reports counted`)
  // [Q9] Group reports went with the organisation's: group tokens are asked for every open day, active or not.
  const groupCounted = async (group: ConvId, day: Day) => {
    const bytes = await admin.store.get(['stats-gday', org, group, day])
    return bytes ? decodeRecord(bytes, z.object({ reports: z.number() }).loose())?.reports ?? 0 : 0
  }
  const groupReports = (d: number) => people.filter((_, i) => groupOf(i) === big && activity(i, d)).length
  if (big) for (let d = 1; d <= DAYS; d++) await until(async () => (await groupCounted(big, dayN(d))) === groupReports(d), `group day ${d} counted`)

  function expectedReports(d: number): number {
    return people.filter((_, i) => activity(i, d) && !(i === DEVICES - 1 && d > 7)).length
  }

  // The truth: every live device's clipped day, with its first active day of each week and month.
  const truth = new Map<Day, Counts>()
  for (const [i] of people.entries()) {
    const weeks = new Set<string>()
    const months = new Set<string>()
    for (let d = 1; d <= DAYS; d++) {
      const a = activity(i, d)
      if (!a || (i === DEVICES - 1 && d > 7)) continue
      const day = dayN(d)
      const c = clipCounts({ ...ZERO_COUNTS, ...a, active: 1, activeWeek: weeks.has(weekOf(day)) ? 0 : 1, activeMonth: months.has(monthOf(day)) ? 0 : 1 })
      weeks.add(weekOf(day))
      months.add(monthOf(day))
      truth.set(day, addCounts(truth.get(day) ?? ZERO_COUNTS, c))
    }
  }

  moveTo(addDays(dayN(DAYS), 4), 10)
  const report = await admin.messenger.stats.report(org, { from: dayN(1), to: dayN(DAYS) })
  expect(report.days.map((d) => d.day)).toEqual(Array.from({ length: DAYS }, (_, k) => dayN(k + 1)))
  const noiseSecret = decodeRecord((await admin.store.get(['stats-col', org]))!, z.object({ noise: z.instanceof(Uint8Array) }).loose())!.noise
  for (const released of report.days) {
    const received = decodeRecord((await admin.store.get(['stats-day', org, released.day]))!, dayRecord)!
    for (const m of METRICS) {
      // What was received is the truth (every report counted once, each clipped).
      expect(received.sum[m], `${released.day} ${m} received`).toBe(truth.get(released.day)![m])
      // Reproducible: the sum plus the noise the collector's secret fixes for (organisation, day, metric).
      const noise = discreteLaplace(keyedUniforms(noiseSecret, `${org}/${released.day}/${m}`), noiseScale(m))
      expect(released.values[m]).toBe(Math.max(0, received.sum[m]! + noise))
      expect(Math.abs(released.values[m] - truth.get(released.day)![m])).toBeLessThan(10 * noiseStdDev(m))
    }
  }
  expect(report.privacy.epsilonPerMetricDay).toBe(1)
  // [Q7] Devices in contact a day: every live device asked once; released with the noise of a count of one.
  // By week and month: each device once, on its first day of contact in the week (month).
  const firstIn = { devicesWeek: new Map<string, number>(), devicesMonth: new Map<string, number>() }
  for (const [k, c] of report.devicesInContact.entries()) {
    const exact = decodeRecord((await admin.store.get(['stats-devday', org, c.day]))!, z.object({ n: z.number(), w: z.number(), m: z.number() }).strict())!
    expect(exact.n, c.day).toBe(live(k + 1).length)
    expect(exact.w, `${c.day} first in its week`).toBe(k === 0 || weekOf(c.day) === c.day ? live(k + 1).length : 0)
    expect(exact.m, `${c.day} first in its month`).toBe(k === 0 || c.day.endsWith('-01') ? live(k + 1).length : 0)
    expect(c.devices).toBe(Math.max(0, exact.n + discreteLaplace(keyedUniforms(noiseSecret, `${org}/${c.day}/devices`), 1)))
    const noisy = (what: keyof typeof firstIn, n: number) => n + discreteLaplace(keyedUniforms(noiseSecret, `${org}/${c.day}/${what}`), 1)
    firstIn.devicesWeek.set(weekOf(c.day), (firstIn.devicesWeek.get(weekOf(c.day)) ?? 0) + noisy('devicesWeek', exact.w))
    firstIn.devicesMonth.set(monthOf(c.day), (firstIn.devicesMonth.get(monthOf(c.day)) ?? 0) + noisy('devicesMonth', exact.m))
  }
  expect(report.devicesInContactByWeek).toEqual([...firstIn.devicesWeek].map(([start, n]) => ({ start, devices: Math.max(0, n) })))
  expect(report.devicesInContactByMonth).toEqual([...firstIn.devicesMonth].map(([start, n]) => ({ start, devices: Math.max(0, n) })))
  // Within the noise of the days summed, every live device of the week is there once.
  for (const w of report.devicesInContactByWeek!) {
    const days = report.devicesInContact.filter((c) => weekOf(c.day) === w.start).length
    expect(Math.abs(w.devices - DEVICES), w.start).toBeLessThan(10 * Math.sqrt(days * 2))
  }
  // [Q9] The group of six has its days, reproducible from what was received; the group of four has none, and none was collected.
  if (big && small) {
    expect(report.groupActivity.map((g) => g.name)).toEqual(['Night crew'])
    const night = report.groupActivity[0]!
    expect(night.people).toBe(6)
    for (const [k, d] of night.days.entries()) {
      const members = people.map((_, i) => i).filter((i) => groupOf(i) === big && activity(i, k + 1))
      const truthMessages = members.reduce((n, i) => n + Math.min(50, activity(i, k + 1)!.messages!), 0)
      const got = decodeRecord((await admin.store.get(['stats-gday', org, big, d.day]))!, z.object({ active: z.number(), messages: z.number() }).loose())!
      expect(got).toMatchObject({ active: members.length, messages: truthMessages })
      expect(d.messages).toBe(Math.max(0, truthMessages + discreteLaplace(keyedUniforms(noiseSecret, `${org}/${big}/${d.day}/messages`), noiseScale('messages'))))
    }
    expect(await admin.store.range(['stats-gday', org, small])).toEqual([])
    expect(await admin.store.range(['stats-issued', org]).then((rows) => rows.filter((r) => r.key[4] === small))).toEqual([])
  }
  // Device management: every live device, its last day, version and platform.
  expect(report.devices.map((d) => d.device).sort()).toEqual(live(DAYS).map((p) => p.messenger.identity!.deviceId).sort())
  // Versions and platforms with fewer than 5 devices are shown only as `other` ([Q7]).
  const linux = live(DAYS).length - 3
  expect(report.platforms).toEqual(linux >= 5 ? [{ name: 'cli/linux', devices: linux }, { name: 'other', devices: 3 }] : [{ name: 'other', devices: live(DAYS).length }])
  expect(report.versions).toEqual(live(DAYS).length >= 5 ? [{ name: '0.1.0', devices: live(DAYS).length }] : [{ name: 'other', devices: live(DAYS).length }])
  // The removed device asked for nothing after day 7, and nothing of its later days was counted.
  expect(await removed.store.range(['stats-tok', org])).toEqual([])

  // [Q10] The other admin's device shows the collector's report, once shared (once a day).
  await admin.messenger.stats.tick()
  await until(async () => (await deputy.messenger.stats.report(org, { from: dayN(1), to: dayN(DAYS) }).catch(() => undefined))?.days.length === DAYS, "the deputy has the collector's report")
  const shared = await deputy.messenger.stats.report(org, { from: dayN(1), to: dayN(DAYS) })
  expect(shared.days).toEqual(report.days)
  expect(shared.sharedOn).toBe(dayOf(Date.now() + offset))
  // A member (not an admin) cannot see them, gets no share, and cannot turn them on or off.
  const member = people[2]!
  await expect(member.messenger.stats.report(org)).rejects.toMatchObject({ code: ClientErrorCode.STATS_ELSEWHERE })
  expect(await member.store.range(['stats-shared'])).toEqual([])
  await expect(member.messenger.stats.enable(org)).rejects.toMatchObject({ code: ClientErrorCode.NOT_ADMIN })

  // The server's files: no report, token request or count in the clear.
  const files = walk(env.server().dataDir)
  for (const f of files) {
    const bytes = readFileSync(f)
    for (const needle of ['stats-rep', 'stats-req', 'stats-ans', 'activeWeek', 'callMinutes']) expect(bytes.includes(Buffer.from(needle)), `${f} holds ${needle}`).toBe(false)
  }
}, 600_000)

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

test('[Q3][Q7] the CLI: an admin turns statistics on (this device collects), reads them as JSON, turns them off; then they are refused with M580', async () => {
  const ana = cliHome('ana-stats', () => env.server().url)
  const ok = (r: CliRun) => {
    if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
    return r
  }
  ok(await ana.run('init', '--name', 'Ana'))
  const { org } = ok(await ana.run('--json', 'org', 'create', 'Depot')).json<{ org: string }>()
  expect(ok(await ana.run('--json', 'org', 'stats', org, 'on')).json()).toMatchObject({ org, on: true, collectingHere: true })
  // [Q7] Files stored: what the server counts against the organisation's quota (protocol [B13]), a group's file included.
  const { group } = ok(await ana.run('--json', 'group', 'create', org, 'Yard')).json<{ group: string }>()
  const photo = join(mkdtempSync(join(tmpdir(), 'fieldchat-stats-file-')), 'valve.txt')
  writeFileSync(photo, 'x'.repeat(200_000)) // 4 chunks, padded to 4
  ok(await ana.run('--json', 'send-file', group, photo))
  const report = ok(await ana.run('--json', 'org', 'stats', org, '--from', '2026-11-01', '--to', '2026-11-07')).json<{ days: { day: string; values: Record<string, number> }[]; privacy: { epsilonPerMetricDay: number }; groups: { count: number }; storage?: { bytes: number; pending: number; quotaBytes: number } }>()
  expect(report.storage).toMatchObject({ bytes: 4 * 65_552, pending: 0, quotaBytes: 20_480 * 1024 * 1024 })
  expect(report.days.map((d) => d.day)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07'])
  expect(report.privacy.epsilonPerMetricDay).toBe(1)
  expect(Object.keys(report.days[0]!.values).sort()).toEqual([...METRICS].sort())
  const human = ok(await ana.run('org', 'stats', org, '--from', '2026-11-01', '--to', '2026-11-02'))
  expect(human.stdout).toContain('ε = 1 per metric and day')
  const bad = await ana.run('--json', 'org', 'stats', org, '--from', '2026-11-09', '--to', '2026-11-01')
  expect(bad.code).not.toBe(0)
  expect(bad.json<{ error: { code: string } }>().error.code).toBe(ClientErrorCode.STATS_RANGE)
  expect(ok(await ana.run('--json', 'org', 'stats', org, 'off')).json()).toMatchObject({ org, on: false })
  const off = await ana.run('--json', 'org', 'stats', org)
  expect(off.json<{ error: { code: string } }>().error.code).toBe(ClientErrorCode.STATS_OFF)
})
