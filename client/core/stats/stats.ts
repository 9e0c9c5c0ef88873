import { fromHex, toHex, type DeviceKeys } from '../../../crypto/index.js'
import { deviceIdOf, type BlobSpaceUsage, type ConvId, type DeviceId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import type { LocalStore } from '../storage/LocalStore.js'
import type { Team } from '../team/team.js'
import { Collector, type DayContacts, type DeviceInfo } from './collector.js'
import type { UsageReport } from './usageReport.js'
import { CLIPS, METRICS, type Counts, type Metric } from './counts.js'
import { addDays, dayOf, isDay, type Day } from './days.js'
import { CLOSE_AFTER_DAYS, EPSILON_PER_METRIC_DAY, MIN_CELL, noiseStdDev, release, releaseContacts, releaseGroup, type GroupRelease, type Release } from './release.js'
import { MAX_GROUP_TOKENS, Reporter, type ReportTiming, type StatsTarget } from './reporter.js'
import { Tally } from './tally.js'
import { openStatsMail } from './wire.js'
import { SHARED_DAYS, openShare, sealShare, sharedReportSchema, withinRange } from './share.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import * as z from 'zod'

/** A device id ([P2]) from a hex signing key as the organisation's state names devices. */
const idOf = (hex: string): DeviceId => deviceIdOf(fromHex(hex)!)

/** A report covers at most this many days (M582 beyond). */
export const MAX_REPORT_DAYS = 366

/** Group sizes are shown in these buckets (people). */
export const GROUP_SIZE_BUCKETS = [[2, 2], [3, 4], [5, 9], [10, 19], [20, 49], [50, Infinity]] as const

export interface StatsDeps {
  readonly store: LocalStore
  readonly keys: DeviceKeys
  readonly team: Team
  readonly now: () => number
  /** `until`: dropped unsent if not delivered by then ([Q4], client/core outbox). */
  readonly send: (org: ConvId, mailbox: Uint8Array, body: Uint8Array, until?: number) => Promise<void>
  readonly version: string
  readonly platform: string
  /** [Q4] When reports leave (tests make it immediate). */
  readonly timing?: ReportTiming
  /** Connected now (reports are never queued offline). */
  readonly online?: () => boolean
  /** [Q7] What the organisation's files take on the server (protocol [B13]); needs the link. */
  readonly storage?: (org: ConvId, signal: AbortSignal) => Promise<BlobSpaceUsage | undefined>
}

/** How long a report waits for the server's answer about storage before it goes without. */
const STORAGE_WAIT_MS = 5_000

/**
 * [Q1]–[Q8] Usage statistics for organisation admins that tell how the messenger is used and
 * nothing of who does what. Every device tallies its own days ([Q1]) and, when the
 * organisation's policy has statistics on ([Q3]), reports each finished day anonymously with a
 * blind token (crypto [X3], [X4]) to the collector, the admin device that turned them on
 * ([Q5]), which releases noisy totals of closed days ([Q6]) and device-management facts ([Q7]).
 */
export class Stats {
  readonly tally: Tally
  private readonly reporter: Reporter
  private readonly collector: Collector
  private readonly me: string

  constructor(private readonly deps: StatsDeps) {
    this.me = toHex(deps.keys.signPublic)
    this.tally = new Tally(deps.store)
    this.collector = new Collector({
      store: deps.store,
      keys: deps.keys,
      now: deps.now,
      liveDevice: (org, device) => {
        const s = deps.team.orgState(org as ConvId)
        if (!s || !s.devices.includes(device)) return undefined
        const user = s.bindings.get(device)
        const box = user && s.users.get(user)?.devices.get(device)
        const mailbox = s.mailboxes.get(device)
        return box && mailbox ? { box, mailbox } : undefined
      },
      inGroup: (org, group, device) => this.inGroup(org as ConvId, group, device),
      send: (org, mailbox, body) => deps.send(org as ConvId, mailbox, body),
    })
    this.reporter = new Reporter({ store: deps.store, tally: this.tally, keys: deps.keys, now: deps.now, targets: () => this.targets(), send: (org, mailbox, body, until) => deps.send(org as ConvId, mailbox, body, until), version: deps.version, platform: deps.platform, ...(deps.timing ? { timing: deps.timing } : {}), ...(deps.online ? { online: deps.online } : {}) })
  }

  /** [Q3] Whether the organisation's statistics are on, and which device collects them. */
  status(org: ConvId): { on: boolean; collector?: DeviceId; collectorName?: string; collectingHere: boolean } {
    const stats = this.deps.team.policy(org).stats
    if (!stats) return { on: false, collectingHere: false }
    return { on: true, collector: idOf(stats.collector), collectorName: this.deps.team.deviceNames(org).get(idOf(stats.collector)) ?? 'an admin', collectingHere: stats.collector === this.me }
  }

  /** [Q3] An admin turns statistics on: this device becomes the collector (its token key published in the policy). */
  async enable(org: ConvId): Promise<void> {
    if (!this.deps.team.canAdmin(org)) throw new ClientError(ClientErrorCode.NOT_ADMIN)
    // A tick meanwhile must not take the new key for a stale one before the policy names it.
    this.enabling.add(org)
    try {
      await this.deps.team.setPolicy(org, { stats: { key: await this.collector.publicKey(org) } })
    } finally {
      this.enabling.delete(org)
    }
    await this.tick()
  }

  private readonly enabling = new Set<ConvId>()

  /** [Q3] An admin turns statistics off: every device stops reporting and deletes what it kept (at its next tick). */
  async disable(org: ConvId): Promise<void> {
    if (!this.deps.team.canAdmin(org)) throw new ClientError(ClientErrorCode.NOT_ADMIN)
    await this.deps.team.setPolicy(org, { stats: false })
    await this.tick()
  }

  /** Stops the reports waiting for their moment (after a restart their times are drawn again if passed, [Q4]). */
  stop(): void {
    this.reporter.stop()
  }

  /** [Q1] Counts something this device's person did in a conversation (its organisation's tally, and its group's, [Q9]). */
  record(conv: ConvId, delta: Partial<Counts>): Promise<void> {
    const org = this.deps.team.orgOf(conv) ?? conv
    // Nothing is counted where statistics are off (the default): no record of a person's days is kept for nothing.
    if (!this.deps.team.orgState(org)?.policy.stats) return Promise.resolve()
    // [Q9] A group is tallied only if it is one of the (at most 15) groups this device gets tokens for.
    return this.tally.add(org, dayOf(this.deps.now()), delta, conv !== org && this.eligibleGroups(org).includes(conv) ? conv : undefined)
  }

  /** [Q9] A group of the organisation with at least MIN_CELL people, `device`'s person among them. */
  private inGroup(org: ConvId, group: string, device: string): boolean {
    const state = this.deps.team.group(group as ConvId)
    const user = this.deps.team.orgState(org)?.bindings.get(device)
    return !!state && this.deps.team.orgOf(group as ConvId) === org && state.members.size >= MIN_CELL && !!user && state.members.has(user)
  }

  /** [Q3][Q4][Q10] Tokens asked for and reports sent where due (on connecting, hourly, after a policy change); the collector shares its report once a day. */
  tick(): Promise<void> {
    // One at a time: two ticks interleaved could delete the tokens the other just asked for.
    const next = this.ticking.then(() => this.tickOnce())
    this.ticking = next.catch(() => undefined)
    return next
  }

  private ticking: Promise<void> = Promise.resolve()

  private async tickOnce(): Promise<void> {
    // Tidied first: the reporter then asks for the new collection's tokens, which a tidy after it
    // would delete (and the collector issues one token per device and day: asked again with
    // another blinded token, it would not answer).
    await this.tidy()
    await this.reporter.tick().catch((err: unknown) => console.warn('usage statistics: reports could not be prepared', err))
  }

  private async tidy(): Promise<void> {
    const today = dayOf(this.deps.now())
    for (const { org } of this.deps.team.orgs()) {
      try {
        // Tidied once per state of the policy and process: a tick on every membership change must
        // not rewrite the store each time. Marked only once every deletion went through, so a
        // failed one is tried again at the next tick.
        const key = this.deps.team.policy(org).stats?.key
        const state = `${this.status(org).on}/${this.status(org).collector ?? ''}/${key ? toHex(key) : ''}`
        const tidy = this.tidied.get(org) !== state
        // Off: this device keeps nothing of it (tallies, tokens, a share; the sums and key if it collected).
        if (tidy && !this.status(org).on) for (const prefix of ['stats-tally', 'stats-tok', 'stats-shared', 'stats-share-day', 'stats-seen']) await this.deps.store.removeRange([prefix, org])
        // [Q1] Turned off and on again (a new key) before this device looked: what it counted for
        // the collection before is deleted all the same, not reported to the new one.
        if (tidy && this.status(org).on) await this.newCollection(org)
        // Not (or no longer) the collector: what it collected goes (the status read again: an
        // `enable` may have finished meanwhile; while one is under way, nothing is marked).
        if (!this.status(org).collectingHere) {
          if (this.enabling.has(org)) continue
          if (tidy) await this.collector.forget(org)
        } else {
          await this.collector.prune(org, today)
          await this.shareIfDue(org)
        }
        if (tidy) this.tidied.set(org, state)
      } catch (err) {
        console.warn('usage statistics: an organisation could not be tidied', err)
      }
    }
  }

  /** The collection's key last seen here (`stats-seen`): another one means statistics were turned off and on again. */
  private async newCollection(org: ConvId): Promise<void> {
    const key = this.deps.team.policy(org).stats?.key
    if (!key) return
    const seen = await this.deps.store.get(['stats-seen', org])
    if (seen && toHex(seen) === toHex(key)) return
    if (seen) for (const prefix of ['stats-tally', 'stats-tok']) await this.deps.store.removeRange([prefix, org])
    await this.deps.store.write([{ key: ['stats-seen', org], value: key }])
  }

  private sharing: Promise<void> = Promise.resolve()
  /** The policy state (on, collector, key) each organisation was last tidied for. */
  private readonly tidied = new Map<ConvId, string>()

  private shareIfDue(org: ConvId): Promise<void> {
    this.sharing = this.sharing.then(() => this.share(org)).catch(() => undefined)
    return this.sharing
  }

  private async share(org: ConvId): Promise<void> {
    const today = dayOf(this.deps.now())
    const last = await this.deps.store.get(['stats-share-day', org])
    if (last && new TextDecoder().decode(last) === today) return
    const state = this.deps.team.orgState(org)
    const admins = state?.adminDevices.filter((d) => d !== this.me) ?? []
    if (state && admins.length) {
      const report = { ...(await this.report(org, { from: addDays(today, -(SHARED_DAYS - 1)), to: today })), sharedOn: today }
      for (const device of admins) {
        const user = state.bindings.get(device)
        const box = user && state.users.get(user)?.devices.get(device)
        const mailbox = state.mailboxes.get(device)
        if (box && mailbox) await this.deps.send(org, mailbox, await sealShare(report, box, this.deps.keys))
      }
    }
    await this.deps.store.write([{ key: ['stats-share-day', org], value: new TextEncoder().encode(today) }])
  }

  /** A mailbox item for statistics: handled (true) or not one (false). */
  async onMail(body: Uint8Array): Promise<boolean> {
    const orgs = this.deps.team.orgs().map((o) => o.org)
    const opened = await openStatsMail(body, this.deps.keys, orgs)
    if (!opened) {
      // [Q10] The collector's shared report, kept by an admin device of the organisation.
      const shared = await openShare(body, this.deps.keys, orgs)
      if (!shared) return false
      const org = shared.report.org as ConvId
      const kept = await this.sharedReport(org)
      // The latest only: an older share replayed does not replace a newer one.
      if (this.deps.team.policy(org).stats?.collector === shared.signedBy && this.deps.team.canAdmin(org) && !(kept && kept.report.sharedOn && shared.report.sharedOn && kept.report.sharedOn >= shared.report.sharedOn)) {
        await this.deps.store.write([{ key: ['stats-shared', org], value: encodeRecord({ by: shared.signedBy, r: shared.report }) }])
      }
      return true
    }
    if ('request' in opened) {
      if (this.status(opened.request.org as ConvId).collectingHere) await this.collector.onRequest(opened.request)
    } else if ('answer' in opened) await this.reporter.onAnswer(opened.answer)
    else if ('report' in opened) {
      if (this.status(opened.report.org as ConvId).collectingHere) await this.collector.onReport(opened.report)
    } else if (this.status(opened.groupReport.org as ConvId).collectingHere) await this.collector.onGroupReport(opened.groupReport)
    return true
  }

  /** [Q7] The organisation's usage from `from` to `to` (UTC days): on the collecting device only (M580 elsewhere). */
  async report(org: ConvId, opts: { from?: Day; to?: Day } = {}): Promise<UsageReport> {
    const status = this.status(org)
    if (!status.on) throw new ClientError(ClientErrorCode.STATS_OFF)
    const today = dayOf(this.deps.now())
    const to = opts.to ?? today
    const from = opts.from ?? addDays(to, -27)
    if (!isDay(from) || !isDay(to) || from > to || to > addDays(from, MAX_REPORT_DAYS - 1)) throw new ClientError(ClientErrorCode.STATS_RANGE)
    const noiseSecret = await this.collector.noiseSecret(org)
    if (!status.collectingHere || !noiseSecret) {
      // [Q10] Another admin device: the collector's report shared with it, if one came.
      const shared = this.deps.team.canAdmin(org) ? await this.sharedReport(org) : undefined
      // From the device the policy names as the collector now.
      if (!shared || shared.by !== this.deps.team.policy(org).stats?.collector) throw new ClientError(ClientErrorCode.STATS_ELSEWHERE, status.collectorName)
      const storage = await this.storage(org, today)
      return { ...withinRange(shared.report, from, to), ...(storage ? { storage } : {}) }
    }
    const totals = new Map<Day, Awaited<ReturnType<Collector['totals']>>>()
    for (let d = from; d <= to; d = addDays(d, 1)) totals.set(d, await this.collector.totals(org, d))
    const released = release({ org, noiseSecret, totals: (d) => totals.get(d), from, to, today })
    const contacts = new Map<Day, DayContacts | undefined>()
    for (let d = from; d <= to; d = addDays(d, 1)) contacts.set(d, await this.collector.devicesInContact(org, d))
    const inContact = releaseContacts({ org, noiseSecret, count: (d) => contacts.get(d), from, to, today })
    const state = this.deps.team.orgState(org)!
    const names = this.deps.team.deviceNames(org)
    const devices = (await this.collector.devices(org))
      .filter((d) => state.devices.includes(d.device))
      .map((d) => ({ ...d, device: idOf(d.device), person: names.get(idOf(d.device)) ?? 'Unknown', daysSilent: Math.max(0, Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${d.lastDay}T00:00:00Z`)) / 86_400_000)) }))
    const cells = (key: (d: DeviceInfo) => string) => {
      const counts = new Map<string, number>()
      for (const d of devices) counts.set(key(d), (counts.get(key(d)) ?? 0) + 1)
      const shown = [...counts].filter(([, n]) => n >= MIN_CELL).map(([name, n]) => ({ name, devices: n }))
      const other = [...counts].filter(([, n]) => n < MIN_CELL).reduce((a, [, n]) => a + n, 0)
      return [...shown.sort((a, b) => b.devices - a.devices), ...(other ? [{ name: 'other', devices: other }] : [])]
    }
    const groups = this.deps.team.groups(org)
    const groupActivity: GroupRelease[] = []
    for (const g of groups.filter((g) => g.members.length >= MIN_CELL)) {
      const sums = new Map<Day, { active: number; messages: number } | undefined>()
      for (let d = from; d <= to; d = addDays(d, 1)) sums.set(d, await this.collector.groupTotals(org, g.group, d))
      groupActivity.push(releaseGroup({ org, group: g.group, name: g.name, people: g.members.length, noiseSecret, totals: (d) => sums.get(d), from, to, today }))
    }
    const invites = [...state.invites.values()].filter((i) => !i.user)
    const now = this.deps.now()
    const storage = await this.storage(org, today)
    return {
      org,
      from,
      to,
      lastClosedDay: addDays(today, -CLOSE_AFTER_DAYS - 1),
      ...released,
      devicesInContact: inContact.days,
      devicesInContactByWeek: inContact.weeks,
      devicesInContactByMonth: inContact.months,
      privacy: { epsilonPerMetricDay: EPSILON_PER_METRIC_DAY, clips: CLIPS, noiseStdDev: Object.fromEntries(METRICS.map((m: Metric) => [m, Math.round(noiseStdDev(m) * 10) / 10])) as Counts, minCell: MIN_CELL, closeAfterDays: CLOSE_AFTER_DAYS },
      devices,
      versions: cells((d) => d.version),
      platforms: cells((d) => d.platform),
      groups: {
        count: groups.length,
        sizes: GROUP_SIZE_BUCKETS.map(([lo, hi]) => ({ bucket: hi === Infinity ? `${lo}+` : lo === hi ? `${lo}` : `${lo}–${hi}`, groups: groups.filter((g) => g.members.length >= lo && g.members.length <= hi).length })),
      },
      groupActivity,
      ...(storage ? { storage } : {}),
      invitations: { made: invites.length, accepted: invites.filter((i) => i.used).length, revoked: invites.filter((i) => i.revoked && !i.used).length, open: invites.filter((i) => !i.used && !i.revoked && i.expires > now).length, expired: invites.filter((i) => !i.used && !i.revoked && i.expires <= now).length },
    }
  }

  /** [Q7] The organisation's storage now, asked of the server; undefined offline, or when it does not answer in time. */
  private async storage(org: ConvId, today: Day): Promise<UsageReport['storage']> {
    if (!this.deps.storage || this.deps.online?.() === false) return undefined
    const u = await this.deps.storage(org, AbortSignal.timeout(STORAGE_WAIT_MS)).catch(() => undefined)
    return u && { ...u, asOf: today }
  }

  /** [Q9] The groups of `org` this device reports for: at least MIN_CELL people, its person among them; the first 15. */
  private eligibleGroups(org: ConvId): string[] {
    return this.deps.team.groups(org).filter((g) => this.inGroup(org, g.group, this.me)).map((g) => g.group).slice(0, MAX_GROUP_TOKENS)
  }

  private async sharedReport(org: ConvId): Promise<{ by: string; report: UsageReport } | undefined> {
    const bytes = await this.deps.store.get(['stats-shared', org])
    const rec = bytes && decodeRecord(bytes, z.object({ by: z.string().max(64), r: sharedReportSchema }).strict())
    return rec ? { by: rec.by, report: rec.r } : undefined
  }

  private targets(): StatsTarget[] {
    return this.deps.team.orgs().flatMap(({ org }) => {
      const state = this.deps.team.orgState(org)
      const stats = state?.policy.stats
      if (!state || !stats || !state.devices.includes(this.me)) return []
      const user = state.bindings.get(stats.collector)
      const box = user && state.users.get(user)?.devices.get(stats.collector)
      const mailbox = state.mailboxes.get(stats.collector)
      return box && mailbox ? [{ org, key: stats.key, collector: stats.collector, box, mailbox, groups: () => this.eligibleGroups(org) }] : []
    })
  }
}

export type { UsageReport }
