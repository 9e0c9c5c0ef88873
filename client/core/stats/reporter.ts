import * as z from 'zod'
import { deriveKey, randomBytes, toHex, utf8, type DeviceKeys } from '../../../crypto/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { clipCounts } from './counts.js'
import { addDays, dayOf, dayStart, type Day } from './days.js'
import { CLOSE_AFTER_DAYS } from './release.js'
import type { Tally } from './tally.js'
import { statsTokens } from './tokens.js'
import { MAX_TOKENS, sealGroupReport, sealReport, sealTokenRequest, tokenLabel, type TokenAnswer } from './wire.js'

/** A request not answered within this long is sent again, with the same blinded token. */
export const REQUEST_AGAIN_MS = 3_600_000

/**
 * [Q4] When reports leave. Each report (the organisation's, each group's) has its own send time,
 * drawn uniformly over the `windowMs` after its day ends (the same window for every device; fixed
 * per device, label and day by HKDF of the device's signing seed). A token that comes after its
 * send time (the collector answered late, perhaps on purpose), or a send time this device missed
 * (it was off), gets a fresh time drawn uniformly over what is left of the day's open window,
 * never "now": a report does not follow an answer or a reconnection. Reports go from a timer of
 * their own, not on the device's ticks, and change nothing of its requests (which name it).
 * `immediate` (tests): a report goes at the first tick at or after its day's end.
 */
export interface ReportTiming {
  readonly windowMs: number
  readonly immediate?: boolean
}
/** Over the two days after the day: the last open day is left as a margin for a collector that reads its mail a day late. */
export const REPORT_TIMING: ReportTiming = { windowMs: 2 * 86_400_000 }
/** No fresh time is drawn in the last hour before a day's window closes: a report that would need one is dropped, not sent at once. */
const LAST_MS = 3_600_000
/** A report never leaves within this long of another report or a token request of this device: those would be linked by their timing. */
export const MIN_GAP_MS = 5 * 60_000
/** A report queued but not delivered within this long (the link dropped meanwhile) is dropped from the mail outbox, not sent at the reconnection. */
export const DELIVER_WITHIN_MS = 60_000
/** A send time missed by more than this is drawn again. */
const MISSED_MS = 10 * 60_000
/** The timer looks again at least this often (a sleeping device's timer may fire late). */
const TIMER_MAX_MS = 30 * 60_000

const tokenSchema = z.object({
  n: z.instanceof(Uint8Array),
  /** The published key the token was asked under (hex): a token under another is dropped ([Q4]). */
  k: z.string().max(192),
  r: z.string().regex(/^[0-9a-f]+$/).max(64).optional(),
  b: z.instanceof(Uint8Array).optional(),
  s: z.instanceof(Uint8Array).optional(),
  at: z.number(),
  spent: z.literal(true).optional(),
  /** When its report goes ([Q4]). */
  sendAt: z.number().optional(),
})
const tokenKey = (org: string, day: Day, group?: string): string[] => (group ? ['stats-tok', org, day, group] : ['stats-tok', org, day])
type Token = z.infer<typeof tokenSchema>

/** A report that can go: its organisation, day and label, its token, and how it is sealed. */
interface Part {
  readonly target: StatsTarget
  readonly day: Day
  readonly group?: string
  readonly token: Token
  readonly seal: (t: { n: Uint8Array; s: Uint8Array }) => Uint8Array
}
const uniform = () => new DataView(randomBytes(4).buffer).getUint32(0) / 2 ** 32

/** An organisation whose statistics are on, as this device sees it: where its reports go. */
export interface StatsTarget {
  readonly org: string
  readonly key: Uint8Array
  readonly collector: string
  readonly box: Uint8Array
  readonly mailbox: Uint8Array
  /** [Q9] Groups of the organisation with at least MIN_CELL people that this device's person is in. */
  readonly groups: () => readonly string[]
}

export interface ReporterDeps {
  readonly store: LocalStore
  readonly tally: Tally
  readonly keys: DeviceKeys
  readonly now: () => number
  readonly targets: () => readonly StatsTarget[]
  /** Queues mail for `mailbox`; `until`: dropped if not delivered by then (wall clock, ms). */
  readonly send: (org: string, mailbox: Uint8Array, body: Uint8Array, until?: number) => Promise<void>
  readonly version: string
  readonly platform: string
  readonly timing?: ReportTiming
  /** Connected now: a report is never queued offline (it would leave at the reconnection, beside the device's request). */
  readonly online?: () => boolean
}

/** At most this many of a person's groups get tokens a day ([Q9]); the rest are not broken down. */
export const MAX_GROUP_TOKENS = 15
/** The last moment a day's report may leave: the end of the last day it is open ([Q6]), less a margin. */
const closesAt = (day: Day) => dayStart(addDays(day, CLOSE_AFTER_DAYS))

/**
 * [Q3][Q4] This device's side: for every organisation whose statistics are on, it asks the
 * collector for blind tokens of every open day it lacks one for — the organisation's and each
 * group's it is in, whether the person did anything or not, so a request tells nothing of
 * activity — together with its version and platform ([Q7]); a finished day's counts go in
 * anonymous reports at a random time of the next day ([Q4]), clipped and padded. Days closed
 * before their report could go are dropped, not sent late.
 */
export class Reporter {
  private turn: Promise<unknown> = Promise.resolve()
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false
  private generation = 0
  /** When this device last queued a report and a token request (this process): [Q4]'s gap between them. */
  private lastReportAt = -Infinity
  private lastRequestAt = -Infinity

  constructor(private readonly deps: ReporterDeps) {}

  tick(): Promise<void> {
    return this.queue(async () => {
      if (this.stopped) return
      for (const target of this.deps.targets()) await this.tickOrg(target)
    }).finally(() => this.arm())
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /** The collector's answer: each token unblinded and checked against the published key ([X3]); one that does not verify is not used. */
  onAnswer(answer: TokenAnswer): Promise<void> {
    return this.queue(async () => {
      const target = this.deps.targets().find((t) => t.org === answer.org)
      if (!target || answer.signedBy !== target.collector) return
      const { unblindStatsToken } = await statsTokens()
      for (const { day, signed, group } of answer.days) {
        const pending = await this.token(target.org, day, group)
        if (!pending?.r || !pending.b || pending.s || pending.k !== toHex(target.key)) continue
        const token = unblindStatsToken(target.key, tokenLabel(target.org, group), { day, nonce: pending.n, blinded: pending.b, r: BigInt('0x' + pending.r) }, signed)
        // [Q3] An answer that does not verify is ignored, the pending token kept: it may answer an
        // earlier request (under a key since replaced, read late from the mailbox), and the
        // answer to this one is still to come. A collector that only ever answers badly gets the
        // same blinded token asked again each hour, and gives no token.
        if (!token.ok) continue
        const sendAt = this.sendTime(target.org, day, group)
        await this.deps.store.write([{ key: tokenKey(target.org, day, group), value: encodeRecord({ n: token.value.nonce, k: pending.k, s: token.value.signature, at: pending.at, ...(sendAt === undefined ? { spent: true } : { sendAt }) }) }])
      }
    }).finally(() => this.arm())
  }

  /** [Q4] The planned send time of (day, label), or a fresh one over the rest of the open window when that has passed. */
  private sendTime(org: string, day: Day, group: string | undefined): number | undefined {
    const timing = this.deps.timing ?? REPORT_TIMING
    const planned = dayStart(addDays(day, 1)) + Math.floor(sendFraction(this.deps.keys.signSecret, tokenLabel(org, group), day) * timing.windowMs)
    return timing.immediate || planned > this.deps.now() ? planned : this.fresh(day)
  }

  /** A time drawn uniformly from a minute after now to the last hour of the day's window (never in it); none when that is empty (dropped). */
  private fresh(day: Day): number | undefined {
    const now = this.deps.now()
    const span = closesAt(day) - LAST_MS - (now + 60_000)
    return span <= 0 ? undefined : now + 60_000 + Math.floor(uniform() * span)
  }

  private async tickOrg(target: StatsTarget): Promise<void> {
    const now = this.deps.now()
    const today = dayOf(now)
    const oldest = addDays(today, -CLOSE_AFTER_DAYS)
    const key = toHex(target.key)
    const timing = this.deps.timing ?? REPORT_TIMING
    await this.deps.tally.prune(target.org, today)
    // Tokens of days gone by (a day later than they close: a clock stepped forward a day and back
    // does not lose an open day's token), or asked under a key no longer published, are useless.
    const stale = (await this.deps.store.range(['stats-tok', target.org])).filter((r) => r.key[2]! < addDays(oldest, -1) || decodeRecord(r.value, tokenSchema)?.k !== key)
    if (stale.length) await this.deps.store.write(stale.map((r) => ({ key: r.key, value: undefined })))

    // Reports: in tests (`immediate`) what is due goes now; otherwise a tick (perhaps a
    // reconnection) sends none: what is due or missed gets a fresh time ([Q4]).
    await this.handleDue([target], timing.immediate ? 'all' : 'none')
    // [Q4] No request right after a report: the next tick asks.
    if (!timing.immediate && now - this.lastReportAt < MIN_GAP_MS) return

    // Tokens for every open day, the organisation's and each group's, that this device lacks.
    const { blindStatsToken } = await statsTokens()
    const ask: { day: Day; blinded: Uint8Array; group?: string }[] = []
    const writes: { key: string[]; value: Uint8Array }[] = []
    const groups = target.groups().slice(0, MAX_GROUP_TOKENS)
    for (let day = oldest; day <= today; day = addDays(day, 1)) {
      for (const group of [undefined, ...groups]) {
        if (ask.length >= MAX_TOKENS) break
        const t = await this.token(target.org, day, group)
        if (t?.s || t?.spent || (t && now - t.at < REQUEST_AGAIN_MS)) continue
        // Asked before and not answered: the same blinded token again (the collector signs one per device, label and day).
        const b = t?.b && t.r ? { nonce: t.n, r: t.r, blinded: t.b } : (({ nonce, r, blinded }) => ({ nonce, r: r.toString(16), blinded }))(blindStatsToken(tokenLabel(target.org, group), day))
        ask.push({ day, blinded: b.blinded, ...(group ? { group } : {}) })
        writes.push({ key: tokenKey(target.org, day, group), value: encodeRecord({ n: b.nonce, k: key, r: b.r, b: b.blinded, at: now }) })
      }
    }
    if (ask.length) {
      await this.deps.store.write(writes)
      await this.deps.send(target.org, target.mailbox, await sealTokenRequest({ org: target.org, days: ask, version: this.deps.version, platform: this.deps.platform, today, key: target.key }, target.box, this.deps.keys))
      this.lastRequestAt = now
    }
  }

  /** [Q4] The timer fired: the earliest report due on time goes (one per firing); any other due one gets a fresh time. */
  sendDue(): Promise<void> {
    return this.queue(async () => {
      if (this.stopped) return
      await this.handleDue(this.deps.targets(), (this.deps.timing ?? REPORT_TIMING).immediate ? 'all' : 'one')
    }).finally(() => this.arm())
  }

  /**
   * The reports still to send of `target`, each with its token: finished, open days this device
   * was active on, the organisation's and each eligible active group's, under the published key;
   * and the days with nothing left to send (every part spent or dropped, or closed a day ago):
   * read only, the caller marks those reported.
   */
  private async parts(target: StatsTarget): Promise<{ due: Part[]; settled: Day[] }> {
    const today = dayOf(this.deps.now())
    const key = toHex(target.key)
    const eligible = target.groups().slice(0, MAX_GROUP_TOKENS)
    const due: Part[] = []
    const settled: Day[] = []
    for (const { day, counts, groups } of await this.deps.tally.unreported(target.org, today)) {
      // Closed a day ago by this clock (a day's margin, as for tokens): nothing of it can go.
      if (day < addDays(today, -CLOSE_AFTER_DAYS - 1)) {
        settled.push(day)
        continue
      }
      const parts: { group?: string; seal: (t: { n: Uint8Array; s: Uint8Array }) => Uint8Array }[] = [
        { seal: (t) => sealReport({ org: target.org, day, nonce: t.n, signature: t.s, counts: clipCounts(counts) }, target.box) },
        ...Object.entries(groups)
          .filter(([g]) => eligible.includes(g))
          .map(([group, messages]) => ({ group, seal: (t: { n: Uint8Array; s: Uint8Array }) => sealGroupReport({ org: target.org, group, day, nonce: t.n, signature: t.s, counts: { active: 1, messages: Math.min(messages, 50) } }, target.box) })),
      ]
      let done = true
      for (const part of parts) {
        const token = await this.token(target.org, day, part.group)
        if (token?.spent) continue
        done = false
        if (token?.s && token.k === key) due.push({ target, day, ...part, token })
      }
      if (done) settled.push(day)
    }
    return { due, settled }
  }

  /**
   * What is due of `targets`' reports: `all` (tests) sends every one; `one` (the timer) sends the
   * earliest that is on time (within 10 minutes), online and apart from this device's last report
   * and request, and draws a fresh time for the others; `none` (a tick) draws a fresh time for all.
   */
  private async handleDue(targets: readonly StatsTarget[], send: 'all' | 'one' | 'none'): Promise<void> {
    const now = this.deps.now()
    const due: Part[] = []
    for (const target of targets) {
      const { due: parts, settled } = await this.parts(target)
      for (const day of settled) await this.deps.tally.markReported(target.org, day)
      due.push(...parts.filter((p) => p.token.sendAt === undefined || p.token.sendAt <= now))
    }
    due.sort((a, b) => (a.token.sendAt ?? 0) - (b.token.sendAt ?? 0))
    let sent = false
    for (const p of due) {
      const onTime = p.token.sendAt !== undefined && p.token.sendAt >= now - MISSED_MS
      const apart = now - this.lastReportAt >= MIN_GAP_MS && now - this.lastRequestAt >= MIN_GAP_MS
      if (send === 'all' || (send === 'one' && !sent && onTime && apart && (this.deps.online?.() ?? true))) {
        sent = (await this.sendReport(p)) || sent
        continue
      }
      const again = this.fresh(p.day)
      const t = p.token
      await this.deps.store.write([{ key: tokenKey(p.target.org, p.day, p.group), value: encodeRecord(again === undefined ? { n: t.n, k: t.k, at: t.at, spent: true } : { ...t, sendAt: again }) }])
    }
  }

  /**
   * Queues one report. Its token is marked spent first, so a crash after the queueing cannot send
   * it a second time later; if the queueing fails the token is put back (tried again at the next
   * look). Not delivered within DELIVER_WITHIN_MS, the mail is dropped, not sent at a reconnection.
   */
  private async sendReport(p: Part): Promise<boolean> {
    const { target, day, group, token: t } = p
    const at = tokenKey(target.org, day, group)
    await this.deps.store.write([{ key: at, value: encodeRecord({ n: t.n, k: t.k, at: t.at, spent: true }) }])
    const now = this.deps.now()
    try {
      await this.deps.send(target.org, target.mailbox, p.seal({ n: t.n, s: t.s! }), now + DELIVER_WITHIN_MS)
    } catch {
      await this.deps.store.write([{ key: at, value: encodeRecord(t) }])
      return false
    }
    this.lastReportAt = now
    return true
  }

  /** The report timer: set for the next send time of a report still to send (at most TIMER_MAX_MS away). */
  private arm(): void {
    if (this.stopped || (this.deps.timing ?? REPORT_TIMING).immediate) return
    const generation = ++this.generation
    clearTimeout(this.timer)
    this.queue(() => this.nextSendAt())
      .then((at) => {
        if (this.stopped || generation !== this.generation || at === undefined) return
        this.timer = setTimeout(() => void this.sendDue().catch((err: unknown) => console.warn('usage statistics: a report could not be sent', err)), Math.min(TIMER_MAX_MS, Math.max(0, at - this.deps.now())))
        ;(this.timer as { unref?: () => void }).unref?.()
      })
      .catch((err: unknown) => console.warn('usage statistics: the report timer could not be set', err))
  }

  /**
   * The earliest send time still to come of a token held (today's too: its day's tally may still
   * grow). Read only. A time with nothing to send when it comes only wakes the timer.
   */
  private async nextSendAt(): Promise<number | undefined> {
    const now = this.deps.now()
    let next: number | undefined
    for (const target of this.deps.targets()) {
      const key = toHex(target.key)
      for (const r of await this.deps.store.range(['stats-tok', target.org])) {
        const t = decodeRecord(r.value, tokenSchema)
        const at = t?.s && !t.spent && t.k === key ? t.sendAt : undefined
        if (at !== undefined && at > now && (next === undefined || at < next)) next = at
      }
    }
    return next
  }

  private async token(org: string, day: Day, group?: string) {
    const bytes = await this.deps.store.get(tokenKey(org, day, group))
    return bytes && decodeRecord(bytes, tokenSchema)
  }

  private queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work)
    this.turn = next.catch(() => undefined)
    return next
  }
}

/**
 * A fraction in [0, 1) fixed for this device, organisation and day (a restart does not draw
 * again), which nobody else can compute: HKDF of the device's signing seed under its own domain.
 */
function sendFraction(signSecret: Uint8Array, org: string, day: Day): number {
  const b = deriveKey(signSecret.subarray(0, 32), 'fieldchat/v1/stats/send-time', utf8.encode(`${org}/${day}`), 4)
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0) / 2 ** 32
}
