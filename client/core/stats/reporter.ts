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
 * [Q4] When reports leave: a finished day's reports go at a time drawn uniformly over the next
 * `windowMs` after the day ends (the same window for every device, so the time says nothing of
 * the device), each then after a further random `jitterMs` at most (so they do not follow the
 * device's own tick); never in the same tick as a token request, which names the device.
 */
export interface ReportTiming {
  readonly windowMs: number
  readonly jitterMs: number
}
export const REPORT_TIMING: ReportTiming = { windowMs: 86_400_000, jitterMs: 55 * 60_000 }

const tokenSchema = z.object({
  n: z.instanceof(Uint8Array),
  /** The published key the token was asked under (hex): a token under another is dropped ([Q4]). */
  k: z.string().max(192),
  r: z.string().regex(/^[0-9a-f]+$/).max(64).optional(),
  b: z.instanceof(Uint8Array).optional(),
  s: z.instanceof(Uint8Array).optional(),
  at: z.number(),
  spent: z.literal(true).optional(),
})
const tokenKey = (org: string, day: Day, group?: string): string[] => (group ? ['stats-tok', org, day, group] : ['stats-tok', org, day])
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
  readonly send: (org: string, mailbox: Uint8Array, body: Uint8Array) => Promise<void>
  readonly version: string
  readonly platform: string
  readonly timing?: ReportTiming
}

/** At most this many of a person's groups get tokens a day ([Q9]); the rest are not broken down. */
export const MAX_GROUP_TOKENS = 15

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
  private readonly scheduled = new Set<string>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()

  constructor(private readonly deps: ReporterDeps) {}

  tick(): Promise<void> {
    return this.queue(async () => {
      for (const target of this.deps.targets()) await this.tickOrg(target)
    })
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /** The collector's answer: each token unblinded and checked against the published key ([X3]); a bad one is dropped. */
  onAnswer(answer: TokenAnswer): Promise<void> {
    return this.queue(async () => {
      const target = this.deps.targets().find((t) => t.org === answer.org)
      if (!target || answer.signedBy !== target.collector) return
      const { unblindStatsToken } = await statsTokens()
      for (const { day, signed, group } of answer.days) {
        const pending = await this.token(target.org, day, group)
        if (!pending?.r || !pending.b || pending.s || pending.k !== toHex(target.key)) continue
        const token = unblindStatsToken(target.key, tokenLabel(target.org, group), { day, nonce: pending.n, blinded: pending.b, r: BigInt('0x' + pending.r) }, signed)
        if (token.ok) await this.deps.store.write([{ key: tokenKey(target.org, day, group), value: encodeRecord({ n: token.value.nonce, k: pending.k, s: token.value.signature, at: pending.at }) }])
      }
    })
  }

  private async tickOrg(target: StatsTarget): Promise<void> {
    const now = this.deps.now()
    const today = dayOf(now)
    const oldest = addDays(today, -CLOSE_AFTER_DAYS)
    const key = toHex(target.key)
    const timing = this.deps.timing ?? REPORT_TIMING
    await this.deps.tally.prune(target.org, today)
    // Tokens of days gone by, or asked under a key no longer published, are useless.
    const stale = (await this.deps.store.range(['stats-tok', target.org])).filter((r) => r.key[2]! < oldest || decodeRecord(r.value, tokenSchema)?.k !== key)
    if (stale.length) await this.deps.store.write(stale.map((r) => ({ key: r.key, value: undefined })))

    // Reports due: finished days whose send time (drawn in the window after the day) has come.
    let reported = false
    for (const { day, counts, groups } of await this.deps.tally.unreported(target.org, today)) {
      if (day < oldest) {
        await this.deps.tally.markReported(target.org, day)
        continue
      }
      const sendAt = dayStart(addDays(day, 1)) + Math.floor(sendFraction(this.deps.keys.signSecret, target.org, day) * timing.windowMs)
      if (now < sendAt) continue
      let done = true
      const parts: { group?: string; body: (t: { n: Uint8Array; s: Uint8Array }) => Uint8Array }[] = [
        { body: (t) => sealReport({ org: target.org, day, nonce: t.n, signature: t.s, counts: clipCounts(counts) }, target.box) },
        ...Object.entries(groups)
          .filter(([g]) => target.groups().includes(g))
          .map(([group, messages]) => ({ group, body: (t: { n: Uint8Array; s: Uint8Array }) => sealGroupReport({ org: target.org, group, day, nonce: t.n, signature: t.s, counts: { active: 1, messages: Math.min(messages, 50) } }, target.box) })),
      ]
      for (const part of parts) {
        const t = await this.token(target.org, day, part.group)
        if (t?.spent) continue
        done = false
        const id = tokenKey(target.org, day, part.group).join('/')
        if (!t?.s || this.scheduled.has(id)) continue
        // Spent once sent: a report lost to a closed app before its delay went goes at the next tick (the collector counts a token once).
        this.scheduled.add(id)
        const spent = { n: t.n, k: t.k, at: t.at, spent: true as const }
        this.later(target, part.body({ n: t.n, s: t.s }), timing, () => this.queue(() => this.deps.store.write([{ key: tokenKey(target.org, day, part.group), value: encodeRecord(spent) }])).finally(() => this.scheduled.delete(id)))
        reported = true
      }
      if (done) await this.deps.tally.markReported(target.org, day)
    }
    // Never a request (which names this device) in the tick that sent reports.
    if (reported) return

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
      await this.deps.send(target.org, target.mailbox, await sealTokenRequest({ org: target.org, days: ask, version: this.deps.version, platform: this.deps.platform, today }, target.box, this.deps.keys))
    }
  }

  /** Sends a sealed report after a random delay of at most `jitterMs` (at once when 0), then `sent`. */
  private later(target: StatsTarget, body: Uint8Array, timing: ReportTiming, sent: () => Promise<void>): void {
    const send = () => this.deps.send(target.org, target.mailbox, body).then(sent, () => undefined)
    if (!timing.jitterMs) {
      void send()
      return
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void send()
    }, Math.floor(uniform() * timing.jitterMs))
    ;(timer as { unref?: () => void }).unref?.()
    this.timers.add(timer)
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
