import * as z from 'zod'
import { blindStatsToken, randomBytes, unblindStatsToken, type DeviceKeys } from '../../../crypto/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { addDays, dayOf, type Day } from './days.js'
import { CLOSE_AFTER_DAYS } from './release.js'
import type { Tally } from './tally.js'
import { MAX_TOKEN_DAYS, sealReport, sealTokenRequest, type TokenAnswer } from './wire.js'

/** A request not answered within this long is made again (fresh blinding). */
export const REQUEST_AGAIN_MS = 3_600_000
/**
 * A token is spent at the earliest this long after it came, plus up to as much again at random:
 * a report that followed its token's answer at once would tell the collector, by its timing,
 * which device sent it.
 */
export const REPORT_DELAY_MS = 2 * 3_600_000

const tokenSchema = z.object({ n: z.instanceof(Uint8Array), r: z.string().regex(/^[0-9a-f]+$/).max(64).optional(), b: z.instanceof(Uint8Array).optional(), s: z.instanceof(Uint8Array).optional(), at: z.number(), ready: z.number().optional() })

/** An organisation whose statistics are on, as this device sees it: where its reports go. */
export interface StatsTarget {
  readonly org: string
  readonly key: Uint8Array
  readonly collector: string
  readonly box: Uint8Array
  readonly mailbox: Uint8Array
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
      for (const { day, signed } of answer.days) {
        const pending = await this.token(target.org, day)
        if (!pending?.r || !pending.b || pending.s) continue
        const token = unblindStatsToken(target.key, target.org, { day, nonce: pending.n, blinded: pending.b, r: BigInt('0x' + pending.r) }, signed)
        const ready = this.deps.now() + REPORT_DELAY_MS + Math.floor((new DataView(randomBytes(4).buffer).getUint32(0) / 2 ** 32) * REPORT_DELAY_MS)
        if (token.ok) await this.deps.store.write([{ key: ['stats-tok', target.org, day], value: encodeRecord({ n: token.value.nonce, s: token.value.signature, at: pending.at, ready }) }])
      }
    })
  }

  private async tickOrg(target: StatsTarget): Promise<void> {
    const now = this.deps.now()
    const today = dayOf(now)
    const oldest = addDays(today, -CLOSE_AFTER_DAYS)
    await this.deps.tally.prune(target.org, today)
    const unreported = await this.deps.tally.unreported(target.org, today)
    // Reports of finished days whose token is here.
    for (const { day, counts } of unreported) {
      if (day < oldest) {
        await this.deps.tally.markReported(target.org, day)
        continue
      }
      const t = await this.token(target.org, day)
      if (!t?.s || now < (t.ready ?? 0)) continue
      await this.deps.send(target.org, target.mailbox, sealReport({ org: target.org, day, nonce: t.n, signature: t.s, counts }, target.box))
      await this.deps.tally.markReported(target.org, day)
      await this.deps.store.write([{ key: ['stats-tok', target.org, day], value: undefined }])
    }
    // Tokens for the open days still to report, and for today.
    const wanted = [...new Set([...(await this.deps.tally.unreported(target.org, today)).map((u) => u.day).filter((d) => d >= oldest), today])]
    const ask: { day: Day; blinded: Uint8Array }[] = []
    const writes = []
    for (const day of wanted.slice(-MAX_TOKEN_DAYS)) {
      const t = await this.token(target.org, day)
      if (t?.s || (t && now - t.at < REQUEST_AGAIN_MS)) continue
      const b = blindStatsToken(target.org, day)
      ask.push({ day, blinded: b.blinded })
      writes.push({ key: ['stats-tok', target.org, day], value: encodeRecord({ n: b.nonce, r: b.r.toString(16), b: b.blinded, at: now }) })
    }
    if (ask.length) {
      await this.deps.store.write(writes)
      await this.deps.send(target.org, target.mailbox, await sealTokenRequest({ org: target.org, days: ask, version: this.deps.version, platform: this.deps.platform }, target.box, this.deps.keys))
    }
    // Tokens of days gone by are useless.
    const stale = (await this.deps.store.range(['stats-tok', target.org])).filter((r) => r.key[2]! < oldest)
    if (stale.length) await this.deps.store.write(stale.map((r) => ({ key: r.key, value: undefined })))
  }

  private async token(org: string, day: Day) {
    const bytes = await this.deps.store.get(['stats-tok', org, day])
    return bytes && decodeRecord(bytes, tokenSchema)
  }

  private queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work)
    this.turn = next.catch(() => undefined)
    return next
  }
}
