import * as z from 'zod'
import { bytesEqual, randomBytes, toHex, type DeviceKeys } from '../../../crypto/index.js'
import { statsTokens } from './tokens.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { CLIPS, ZERO_COUNTS, addCounts, clipCounts, countsSchema } from './counts.js'
import { addDays, dayOf, monthOf, weekOf, type Day } from './days.js'
import { CLOSE_AFTER_DAYS, type DayTotals } from './release.js'
import { sealTokenAnswer, tokenLabel, type GroupReport, type Report, type TokenRequest } from './wire.js'

const b32 = z.instanceof(Uint8Array).refine((b) => b.length === 32)
const keysSchema = z.object({ secret: b32, noise: b32, pk: z.instanceof(Uint8Array) })
const daySchema = z.object({ sum: countsSchema, reports: z.number().int().min(0), nonces: z.array(z.string().length(64)) })
const groupDaySchema = z.object({ active: z.number().int().min(0), messages: z.number().int().min(0), reports: z.number().int().min(0), nonces: z.array(z.string().length(64)) })
const deviceSchema = z.object({ last: z.string(), v: z.string().max(32), p: z.string().max(32) })
const count = z.number().int().min(0)
/** A day's devices in contact: all, and those whose first contact of the ISO week / the month it was (a bare number: the first, without them). */
const contactsSchema = z.union([count.transform((n) => ({ n, w: 0, m: 0 })), z.object({ n: count, w: count, m: count }).strict()])

/** [Q7] Devices in contact on a day: how many asked for tokens, and how many of them for the first time that week and that month. */
export interface DayContacts {
  readonly devices: number
  readonly firstInWeek: number
  readonly firstInMonth: number
}

/** What the collector knows of a device for device management ([Q7]): the last day it asked for tokens, its app version and platform. */
export interface DeviceInfo {
  readonly device: string
  readonly lastDay: Day
  readonly version: string
  readonly platform: string
}

export interface CollectorDeps {
  readonly store: LocalStore
  readonly keys: DeviceKeys
  readonly now: () => number
  /** A live device of the organisation (hex signing key): its box key and mailbox; undefined for anyone else. */
  readonly liveDevice: (org: string, device: string) => { box: Uint8Array; mailbox: Uint8Array } | undefined
  /** [Q9] The group is one of the organisation's with at least MIN_CELL people, and the device's person is in it. */
  readonly inGroup: (org: string, group: string, device: string) => boolean
  /** Queues a mailbox item (protocol [S11]). */
  readonly send: (org: string, mailbox: Uint8Array, body: Uint8Array) => Promise<void>
}

export type ReportOutcome = 'counted' | 'duplicate' | 'closed' | 'forged' | 'not-collecting'

/**
 * [Q5] The collector: the admin device that turned statistics on. It holds the token key and the
 * noise secret of the organisation (in its store only); issues at most one token per live device
 * and open day ([X3]) (asked again with the same blinded token, it answers again: the same token); counts each report whose token verifies and was not spent, its counts
 * clipped ([Q2]); keeps only each day's sums and spent nonces, not the reports; and the device
 * management facts a token request carries.
 */
export class Collector {
  private turn: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: CollectorDeps) {}

  /** The organisation's token public key, made on first use (turning statistics on). */
  async publicKey(org: string): Promise<Uint8Array> {
    return this.queue(async () => {
      const have = await this.keysOf(org)
      if (have) return have.pk
      const pair = (await statsTokens()).generateStatsKeyPair()
      await this.deps.store.write([{ key: ['stats-col', org], value: encodeRecord({ secret: pair.secret, noise: randomBytes(32), pk: pair.publicKey }) }])
      return pair.publicKey
    })
  }

  async noiseSecret(org: string): Promise<Uint8Array | undefined> {
    return (await this.keysOf(org))?.noise
  }

  /** [Q3] Signs the blinded tokens of open days not issued to this device yet, and answers it. */
  onRequest(req: TokenRequest): Promise<void> {
    return this.queue(async () => {
      const keys = await this.keysOf(req.org)
      const device = req.device && this.deps.liveDevice(req.org, req.device)
      if (!keys || !device || !req.device) return
      // Asked under another key (a collection before this one, read late): not answered, so the
      // device's one token of the day is kept for its request under this key.
      if (req.key && !bytesEqual(req.key, keys.pk)) return
      const today = dayOf(this.deps.now())
      // A request made on another day (a replay, or a clock far off) is not a contact today.
      if (req.today < addDays(today, -1) || req.today > addDays(today, 1)) return
      const oldest = addDays(today, -CLOSE_AFTER_DAYS)
      const { signBlindedStatsToken } = await statsTokens()
      const signed: { day: Day; signed: Uint8Array; group?: string }[] = []
      const marks = []
      for (const { day, blinded, group } of req.days) {
        if (day < oldest || day > today || signed.some((s) => s.day === day && s.group === group)) continue
        if (group && !this.deps.inGroup(req.org, group, req.device)) continue
        const issued = group ? ['stats-issued', req.org, day, req.device, group] : ['stats-issued', req.org, day, req.device]
        // One token per device and day: the same blinded token asked again (its answer was lost) is answered again, another is not.
        const before = await this.deps.store.get(issued)
        if (before && !bytesEqual(before, blinded)) continue
        const s = signBlindedStatsToken(keys.secret, tokenLabel(req.org, group), day, blinded)
        if (!s.ok) continue
        signed.push({ day, signed: s.value, ...(group ? { group } : {}) })
        if (!before) marks.push({ key: issued, value: blinded })
      }
      // [Q7] Devices in contact a day: counted at a device's first request of the day.
      const was = await this.deps.store.get(['stats-dev', req.org, req.device])
      // Counted on the device's own day (the collector may read its mail a day late).
      const lastDay = was && decodeRecord(was, deviceSchema)?.last
      const firstThatDay = !lastDay || lastDay < req.today
      const contact = []
      if (firstThatDay) {
        // Summed over a week's (a month's) days, these count each device once ([Q7]).
        const before = await this.devicesInContact(req.org, req.today)
        const w = (before?.firstInWeek ?? 0) + (!lastDay || lastDay < weekOf(req.today) ? 1 : 0)
        const m = (before?.firstInMonth ?? 0) + (!lastDay || lastDay < `${monthOf(req.today)}-01` ? 1 : 0)
        contact.push({ key: ['stats-devday', req.org, req.today], value: encodeRecord({ n: (before?.devices ?? 0) + 1, w, m }) })
      }
      await this.deps.store.write([...marks, ...contact, { key: ['stats-dev', req.org, req.device], value: encodeRecord({ last: firstThatDay ? req.today : lastDay!, v: req.version, p: req.platform }) }])
      if (signed.length) await this.deps.send(req.org, device.mailbox, await sealTokenAnswer({ org: req.org, days: signed }, device.box, this.deps.keys))
    })
  }

  /** [Q5] Counts a report once: its token must verify for its day, be unspent, and its day open. */
  onReport(rep: Report): Promise<ReportOutcome> {
    return this.queue(async () => {
      const keys = await this.keysOf(rep.org)
      if (!keys) return 'not-collecting'
      const today = dayOf(this.deps.now())
      if (rep.day < addDays(today, -CLOSE_AFTER_DAYS) || rep.day > today) return 'closed'
      if (!(await statsTokens()).verifyStatsToken(keys.secret, rep.org, { day: rep.day, nonce: rep.nonce, signature: rep.signature })) return 'forged'
      const was = await this.dayRecord(rep.org, rep.day)
      const nonce = toHex(rep.nonce)
      if (was?.nonces.includes(nonce)) return 'duplicate'
      const next = { sum: addCounts(was?.sum ?? ZERO_COUNTS, clipCounts(rep.counts)), reports: (was?.reports ?? 0) + 1, nonces: [...(was?.nonces ?? []), nonce] }
      await this.deps.store.write([{ key: ['stats-day', rep.org, rep.day], value: encodeRecord(next) }])
      return 'counted'
    })
  }

  /** [Q9] Counts a group report once, as [Q5] does a report: its token must be the group's, for that day. */
  onGroupReport(rep: GroupReport): Promise<ReportOutcome> {
    return this.queue(async () => {
      const keys = await this.keysOf(rep.org)
      if (!keys) return 'not-collecting'
      const today = dayOf(this.deps.now())
      if (rep.day < addDays(today, -CLOSE_AFTER_DAYS) || rep.day > today) return 'closed'
      if (!(await statsTokens()).verifyStatsToken(keys.secret, tokenLabel(rep.org, rep.group), { day: rep.day, nonce: rep.nonce, signature: rep.signature })) return 'forged'
      const key = ['stats-gday', rep.org, rep.group, rep.day]
      const bytes = await this.deps.store.get(key)
      const was = bytes && decodeRecord(bytes, groupDaySchema)
      const nonce = toHex(rep.nonce)
      if (was?.nonces.includes(nonce)) return 'duplicate'
      const c = { active: Math.min(1, rep.counts.active), messages: Math.min(CLIPS.messages, rep.counts.messages) }
      const next = { active: (was?.active ?? 0) + c.active, messages: (was?.messages ?? 0) + c.messages, reports: (was?.reports ?? 0) + 1, nonces: [...(was?.nonces ?? []), nonce] }
      await this.deps.store.write([{ key, value: encodeRecord(next) }])
      return 'counted'
    })
  }

  /** [Q9] A group's sums of a day: people active in it and their messages there. */
  async groupTotals(org: string, group: string, day: Day): Promise<{ active: number; messages: number } | undefined> {
    const bytes = await this.deps.store.get(['stats-gday', org, group, day])
    const rec = bytes && decodeRecord(bytes, groupDaySchema)
    return rec && { active: rec.active, messages: rec.messages }
  }

  /** [Q7] How many devices asked for tokens on `day` (devices in contact), and how many of them first that week and month. */
  async devicesInContact(org: string, day: Day): Promise<DayContacts | undefined> {
    const bytes = await this.deps.store.get(['stats-devday', org, day])
    const rec = bytes && decodeRecord(bytes, contactsSchema)
    return rec && { devices: rec.n, firstInWeek: rec.w, firstInMonth: rec.m }
  }

  async totals(org: string, day: Day): Promise<DayTotals | undefined> {
    const rec = await this.dayRecord(org, day)
    return rec && { sum: rec.sum, reports: rec.reports }
  }

  async devices(org: string): Promise<DeviceInfo[]> {
    const rows = await this.deps.store.range(['stats-dev', org])
    return rows.flatMap((r) => {
      const d = decodeRecord(r.value, deviceSchema)
      return d ? [{ device: r.key[2]!, lastDay: d.last, version: d.v, platform: d.p }] : []
    })
  }

  /**
   * What closed days no longer need: which devices got their tokens (`stats-issued` says who
   * asked for which group's token on which day) and the spent nonces (a closed day takes no
   * report, so there is nothing to count twice).
   */
  prune(org: string, today: Day): Promise<void> {
    return this.queue(async () => {
      // A day later than it closes: a clock stepped back a day does not reopen a day without its nonces.
      const oldest = addDays(today, -CLOSE_AFTER_DAYS - 1)
      const issued = (await this.deps.store.range(['stats-issued', org])).filter((r) => r.key[2]! < oldest)
      const writes: { key: readonly string[]; value: Uint8Array | undefined }[] = issued.map((r) => ({ key: r.key, value: undefined }))
      const noncesGone = <T extends { nonces: string[] }>(rows: { key: readonly string[]; value: Uint8Array }[], schema: z.ZodType<T>) => {
        for (const r of rows) {
          const rec = r.key.at(-1)! < oldest ? decodeRecord(r.value, schema) : undefined
          if (rec && rec.nonces.length) writes.push({ key: r.key, value: encodeRecord({ ...rec, nonces: [] }) })
        }
      }
      noncesGone(await this.deps.store.range(['stats-day', org]), daySchema)
      noncesGone(await this.deps.store.range(['stats-gday', org]), groupDaySchema)
      // Nothing older than a report can show (MAX_REPORT_DAYS) is kept.
      const keepFrom = addDays(today, -400)
      for (const prefix of [['stats-day', org], ['stats-gday', org], ['stats-devday', org]]) {
        for (const r of await this.deps.store.range(prefix)) if (r.key.at(-1)! < keepFrom) writes.push({ key: r.key, value: undefined })
      }
      if (writes.length) await this.deps.store.write(writes)
    })
  }

  /** Statistics off, or collected elsewhere: the keys, sums and device facts go. */
  forget(org: string): Promise<void> {
    return this.queue(async () => {
      for (const prefix of [['stats-col', org], ['stats-issued', org], ['stats-day', org], ['stats-gday', org], ['stats-dev', org], ['stats-devday', org]]) await this.deps.store.removeRange(prefix)
    })
  }

  private async keysOf(org: string) {
    const bytes = await this.deps.store.get(['stats-col', org])
    return bytes && decodeRecord(bytes, keysSchema)
  }

  private async dayRecord(org: string, day: Day) {
    const bytes = await this.deps.store.get(['stats-day', org, day])
    return bytes && decodeRecord(bytes, daySchema)
  }

  private queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work)
    this.turn = next.catch(() => undefined)
    return next
  }
}
