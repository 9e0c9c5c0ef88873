import * as z from 'zod'
import { randomBytes, type DeviceKeys } from '../../../crypto/index.js'
import { statsTokens } from './tokens.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { addDays, dayOf, type Day } from './days.js'
import { CLOSE_AFTER_DAYS } from './release.js'
import type { Tally } from './tally.js'
import { MAX_TOKEN_DAYS, MAX_TOKENS, sealGroupReport, sealReport, sealTokenRequest, tokenLabel, type TokenAnswer } from './wire.js'

const tokenKey = (org: string, day: Day, group?: string): string[] => (group ? ['stats-tok', org, day, group] : ['stats-tok', org, day])

/** A request not answered within this long is made again (fresh blinding). */
export const REQUEST_AGAIN_MS = 3_600_000
/**
 * A token is spent at the earliest this long after it came, plus up to as much again at random:
 * a report that followed its token's answer at once would tell the collector, by its timing,
 * which device sent it.
 */
export const REPORT_DELAY_MS = 2 * 3_600_000

const tokenSchema = z.object({ n: z.instanceof(Uint8Array), r: z.string().regex(/^[0-9a-f]+$/).max(64).optional(), b: z.instanceof(Uint8Array).optional(), s: z.instanceof(Uint8Array).optional(), at: z.number(), ready: z.number().optional(), spent: z.literal(true).optional() })

/** An organisation whose statistics are on, as this device sees it: where its reports go. */
export interface StatsTarget {
  readonly org: string
  readonly key: Uint8Array
  readonly collector: string
  readonly box: Uint8Array
  readonly mailbox: Uint8Array
  /** [Q9] The group is one of the organisation's with at least MIN_CELL people, and this device's person is in it: its days are reported for it. */
  readonly reportsGroup: (group: string) => boolean
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
}

/**
 * [Q3][Q4] This device's side: for every organisation whose statistics are on, it asks the
 * collector for blind tokens of the open days it has counts for and of today (the request also
 * tells the collector this device is alive, its version and platform, [Q7]); once a day is over
 * and its token is here, it sends that day's counts in an anonymous report and marks the day
 * reported. Days closed before their report could go are dropped, not sent late.
 */
export class Reporter {
  private turn: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: ReporterDeps) {}

  tick(): Promise<void> {
    return this.queue(async () => {
      for (const target of this.deps.targets()) await this.tickOrg(target)
    })
  }

  /** The collector's answer: each token unblinded and checked against the published key ([X3]); a bad one is dropped. */
  onAnswer(answer: TokenAnswer): Promise<void> {
    return this.queue(async () => {
      const target = this.deps.targets().find((t) => t.org === answer.org)
      if (!target || answer.signedBy !== target.collector) return
      const { unblindStatsToken } = await statsTokens()
      for (const { day, signed, group } of answer.days) {
        const pending = await this.token(target.org, day, group)
        if (!pending?.r || !pending.b || pending.s) continue
        const token = unblindStatsToken(target.key, tokenLabel(target.org, group), { day, nonce: pending.n, blinded: pending.b, r: BigInt('0x' + pending.r) }, signed)
        const ready = this.deps.now() + REPORT_DELAY_MS + Math.floor((new DataView(randomBytes(4).buffer).getUint32(0) / 2 ** 32) * REPORT_DELAY_MS)
        if (token.ok) await this.deps.store.write([{ key: tokenKey(target.org, day, group), value: encodeRecord({ n: token.value.nonce, s: token.value.signature, at: pending.at, ready }) }])
      }
    })
  }

  private async tickOrg(target: StatsTarget): Promise<void> {
    const now = this.deps.now()
    const today = dayOf(now)
    const oldest = addDays(today, -CLOSE_AFTER_DAYS)
    await this.deps.tally.prune(target.org, today)
    const { blindStatsToken } = await statsTokens()
    const ask: { day: Day; blinded: Uint8Array; group?: string }[] = []
    const writes: { key: string[]; value: Uint8Array }[] = []
    /** The token of (day, group) if it is here and ready; otherwise asks for it (once an hour at most) and gives nothing. */
    const ready = async (day: Day, group?: string) => {
      const t = await this.token(target.org, day, group)
      if (t?.s) return !t.spent && now >= (t.ready ?? 0) ? t : undefined
      if ((t && now - t.at < REQUEST_AGAIN_MS) || ask.length >= MAX_TOKENS || (!group && ask.filter((a) => !a.group).length >= MAX_TOKEN_DAYS)) return undefined
      // Asked before and not answered: the same blinded token again (the collector signs one per device and day; a new one would be refused).
      if (t?.b && t.r) {
        ask.push({ day, blinded: t.b, ...(group ? { group } : {}) })
        writes.push({ key: tokenKey(target.org, day, group), value: encodeRecord({ n: t.n, r: t.r, b: t.b, at: now }) })
        return undefined
      }
      const b = blindStatsToken(tokenLabel(target.org, group), day)
      ask.push({ day, blinded: b.blinded, ...(group ? { group } : {}) })
      writes.push({ key: tokenKey(target.org, day, group), value: encodeRecord({ n: b.nonce, r: b.r.toString(16), b: b.blinded, at: now }) })
      return undefined
    }
    const spend = (day: Day, group: string | undefined, t: { n: Uint8Array; s?: Uint8Array | undefined; at: number }) => this.deps.store.write([{ key: tokenKey(target.org, day, group), value: encodeRecord({ n: t.n, at: t.at, spent: true }) }])
    // Reports of finished days whose tokens are here: the organisation's, and each group's ([Q9]).
    for (const { day, counts, groups } of await this.deps.tally.unreported(target.org, today)) {
      if (day < oldest) {
        await this.deps.tally.markReported(target.org, day)
        continue
      }
      let done = true
      const orgToken = await this.token(target.org, day)
      if (!orgToken?.spent) {
        const t = await ready(day)
        if (t?.s) {
          await this.deps.send(target.org, target.mailbox, sealReport({ org: target.org, day, nonce: t.n, signature: t.s, counts }, target.box))
          await spend(day, undefined, t)
        } else done = false
      }
      for (const [group, messages] of Object.entries(groups)) {
        if (!target.reportsGroup(group) || (await this.token(target.org, day, group))?.spent) continue
        const t = await ready(day, group)
        if (t?.s) {
          await this.deps.send(target.org, target.mailbox, sealGroupReport({ org: target.org, group, day, nonce: t.n, signature: t.s, counts: { active: 1, messages } }, target.box))
          await spend(day, group, t)
        } else done = false
      }
      if (done) await this.deps.tally.markReported(target.org, day)
    }
    // Today's organisation token: the device's daily word to the collector ([Q7]).
    await ready(today)
    if (ask.length) {
      await this.deps.store.write(writes)
      await this.deps.send(target.org, target.mailbox, await sealTokenRequest({ org: target.org, days: ask, version: this.deps.version, platform: this.deps.platform }, target.box, this.deps.keys))
    }
    // Tokens of days gone by are useless.
    const stale = (await this.deps.store.range(['stats-tok', target.org])).filter((r) => r.key[2]! < oldest)
    if (stale.length) await this.deps.store.write(stale.map((r) => ({ key: r.key, value: undefined })))
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
