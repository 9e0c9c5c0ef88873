import { afterEach, describe, expect, test, vi } from 'vitest'
import { generateDeviceKeys, toHex } from '../../../crypto/index.js'
import { generateStatsKeyPair, signBlindedStatsToken } from '../../../crypto/statsToken.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { MIN_GAP_MS, Reporter, type StatsTarget } from '../../../client/core/stats/reporter.js'
import { Tally } from '../../../client/core/stats/tally.js'
import { openStatsMail, type TokenRequest } from '../../../client/core/stats/wire.js'
import { decodeRecord } from '../../../client/core/storage/records.js'
import * as z from 'zod'

/**
 * [Q3][Q4] The reporting device against a stand-in collector: what its requests say (every open
 * day and eligible group, active or not), when its reports go (each at its own time; a missed or
 * late time drawn again, never at a tick or offline), and that a token asked under a key no longer
 * published is dropped, never spent.
 */
const ORG = 'o'.repeat(22)
const GROUP = 'g'.repeat(22)
const DAY = 86_400_000

function setup(timing: { windowMs: number; immediate?: boolean } = { windowMs: 0, immediate: true }, online?: () => boolean) {
  const store = createMemoryStore()
  const device = generateDeviceKeys()
  const collector = generateDeviceKeys()
  let pair = generateStatsKeyPair()
  let now = Date.parse('2026-12-06T10:00:00Z')
  const sent: { kind: 'request' | 'report'; request?: TokenRequest; until?: number }[] = []
  /** Reports to refuse (the mail outbox failing) before one is queued. */
  const failing = { reports: 0 }
  const tally = new Tally(store)
  const target = (): StatsTarget => ({ org: ORG, key: pair.publicKey, collector: toHex(collector.signPublic), box: collector.boxPublic, mailbox: new Uint8Array(32), groups: () => [GROUP] })
  const reporter = new Reporter({
    store,
    tally,
    keys: device,
    now: () => now,
    targets: () => [target()],
    timing,
    ...(online ? { online } : {}),
    version: '1',
    platform: 'test',
    send: async (_org, _mailbox, body, until) => {
      const opened = await openStatsMail(body, collector, [ORG])
      if (opened && 'request' in opened) sent.push({ kind: 'request', request: opened.request })
      else if (opened && ('report' in opened || 'groupReport' in opened)) {
        if (failing.reports > 0 && failing.reports--) throw new Error('outbox write failed')
        sent.push({ kind: 'report', ...(until !== undefined ? { until } : {}) })
      }
    },
  })
  /** The collector answers the last request under `key` (default: the published one). */
  const answer = async (secret = pair.secret) => {
    const req = [...sent].reverse().find((s) => s.kind === 'request')!.request!
    const days = req.days.map((d) => ({ day: d.day, signed: (signBlindedStatsToken(secret, d.group ? `${ORG}/${d.group}` : ORG, d.day, d.blinded) as { value: Uint8Array }).value, ...(d.group ? { group: d.group } : {}) }))
    await reporter.onAnswer({ org: ORG, days, signedBy: toHex(collector.signPublic) })
  }
  return { reporter, tally, store, sent, answer, failing, now: () => now, advance: (ms: number) => (now += ms), today: () => new Date(now).toISOString().slice(0, 10), rekey: () => (pair = generateStatsKeyPair()) }
}

describe('[Q3][Q4] the reporting device', () => {
  test('asks for the organisation\'s and the group\'s token of every open day whether active or not; reports change nothing of its requests', async () => {
    const env = setup()
    await env.reporter.tick()
    const first = env.sent.at(-1)!.request!
    // Four open days (today and the three before), each for the organisation and the group: eight tokens, no activity anywhere.
    expect(first.days).toHaveLength(8)
    expect(new Set(first.days.map((d) => d.group ?? 'org'))).toEqual(new Set(['org', GROUP]))
    await env.answer()
    await env.tally.add(ORG, env.today(), { messages: 3 }, GROUP)
    env.advance(DAY)
    const before = env.sent.length
    await env.reporter.tick()
    // The two reports of the day before, and the request for the new day's tokens, as any day.
    expect(env.sent.slice(before).map((s) => s.kind).sort()).toEqual(['report', 'report', 'request'])
  })

  test('[Q4] each report has its own time in the next day; a token answered after its time, or a time missed, gets a fresh one over the rest of the open window, never now', async () => {
    const env = setup({ windowMs: DAY })
    await env.reporter.tick()
    await env.tally.add(ORG, env.today(), { messages: 3 }, GROUP)
    const day = env.today()
    const sendAt = async (group?: string) => decodeRecord((await env.store.get(group ? ['stats-tok', ORG, day, group] : ['stats-tok', ORG, day]))!, z.object({ sendAt: z.number() }).loose())!.sendAt
    await env.answer()
    const start = Date.parse(`${day}T00:00:00Z`) + DAY
    const [orgAt, groupAt] = [await sendAt(), await sendAt(GROUP)]
    for (const at of [orgAt, groupAt]) expect(at >= start && at < start + DAY).toBe(true)
    expect(orgAt).not.toBe(groupAt)
    // Nothing goes before its time.
    env.advance(Math.min(orgAt, groupAt) - 60_000 - env.now())
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(0)
    // The device was off well past both times (3 hours into the next day, whatever they were: a
    // fixed moment, so the rest of the window is never under an hour): its next tick sends
    // nothing and gives each a fresh time after now, within the open window.
    env.advance(start + DAY + 3 * 3_600_000 - env.now())
    const sentBefore = env.sent.filter((s) => s.kind === 'report').length
    await env.reporter.tick()
    expect(env.sent.filter((s) => s.kind === 'report').length).toBe(sentBefore)
    const closes = Date.parse(`${day}T00:00:00Z`) + 3 * DAY
    const fresh = [await sendAt(), await sendAt(GROUP)]
    for (const at of fresh) expect(at > env.now() && at <= closes).toBe(true)
    // The timer sends each at its time (one drawn again if the two fell within MIN_GAP_MS).
    for (let i = 0; i < 10 && env.sent.filter((s) => s.kind === 'report').length < 2; i++) {
      const pending = await Promise.all([undefined, GROUP].map(async (g) => decodeRecord((await env.store.get(g ? ['stats-tok', ORG, day, g] : ['stats-tok', ORG, day]))!, z.object({ sendAt: z.number().optional(), spent: z.literal(true).optional() }).loose())!))
      const next = Math.min(...pending.flatMap((t) => (!t.spent && t.sendAt !== undefined && t.sendAt > env.now() ? [t.sendAt] : [])))
      env.advance(next - env.now())
      await env.reporter.sendDue()
    }
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(2)
    env.reporter.stop()
  })

  test('[Q4] a report due while offline is not queued: it gets a fresh time', async () => {
    let online = true
    const env = setup({ windowMs: DAY }, () => online)
    await env.reporter.tick()
    await env.tally.add(ORG, env.today(), { messages: 1 })
    await env.answer()
    const day = env.today()
    const at = decodeRecord((await env.store.get(['stats-tok', ORG, day]))!, z.object({ sendAt: z.number() }).loose())!.sendAt
    env.advance(at - env.now())
    online = false
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(0)
    const again = decodeRecord((await env.store.get(['stats-tok', ORG, day]))!, z.object({ sendAt: z.number() }).loose())!.sendAt
    expect(again).toBeGreaterThan(env.now())
    env.reporter.stop()
  })

  test('a token asked under a key the policy no longer publishes is dropped, never spent', async () => {
    const env = setup()
    await env.reporter.tick()
    await env.answer()
    await env.tally.add(ORG, env.today(), { messages: 1 })
    env.rekey()
    env.advance(DAY)
    await env.reporter.tick()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(0)
    // It asks again, under the new key.
    expect(env.sent.at(-1)!.kind).toBe('request')
  })

  /** The planned time of the day's organisation (or group) token, set by hand. */
  const setSendAt = async (env: ReturnType<typeof setup>, day: string, at: number, group?: string) => {
    const key = group ? ['stats-tok', ORG, day, group] : ['stats-tok', ORG, day]
    const t = decodeRecord((await env.store.get(key))!, z.object({ sendAt: z.number() }).loose())!
    await env.store.write([{ key, value: (await import('../../../client/core/storage/records.js')).encodeRecord({ ...t, sendAt: at }) }])
  }
  const sendAtOf = async (env: ReturnType<typeof setup>, day: string, group?: string) =>
    decodeRecord((await env.store.get(group ? ['stats-tok', ORG, day, group] : ['stats-tok', ORG, day]))!, z.object({ sendAt: z.number().optional(), spent: z.boolean().optional() }).loose())!

  test('[Q4] reports due together (the timer fired late): one goes, the other gets a fresh time; none within MIN_GAP_MS of another or of a request', async () => {
    const env = setup({ windowMs: DAY })
    await env.reporter.tick()
    await env.tally.add(ORG, env.today(), { messages: 3 }, GROUP)
    await env.answer()
    const day = env.today()
    const t = Date.parse(`${day}T00:00:00Z`) + DAY + 6 * 3_600_000
    await setSendAt(env, day, t)
    await setSendAt(env, day, t + 2 * 60_000, GROUP)
    env.advance(t + 3 * 60_000 - env.now())
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(1)
    // The report's mail is dropped if not delivered within a minute (never at a reconnection).
    expect(env.sent.at(-1)!.until).toBe(env.now() + 60_000)
    const other = await sendAtOf(env, day, GROUP)
    expect(other.spent).toBeUndefined()
    expect(other.sendAt!).toBeGreaterThan(env.now())
    // Its fresh time 2 minutes after the report: drawn again, not sent.
    await setSendAt(env, day, env.now() + 2 * 60_000, GROUP)
    env.advance(2 * 60_000)
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(1)
    expect((await sendAtOf(env, day, GROUP)).sendAt!).toBeGreaterThan(env.now())
    // Right after a request (a tick asked for the new day's tokens): not sent either.
    env.advance(MIN_GAP_MS)
    await env.reporter.tick()
    expect(env.sent.at(-1)!.kind).toBe('request')
    await setSendAt(env, day, env.now() + 60_000, GROUP)
    env.advance(60_000)
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(1)
    // Apart from both, it goes.
    await setSendAt(env, day, env.now() + MIN_GAP_MS, GROUP)
    env.advance(MIN_GAP_MS)
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(2)
    env.reporter.stop()
  })

  test('[Q4] a report whose queueing fails keeps its token (spent only once queued) and goes at the next look', async () => {
    const env = setup({ windowMs: DAY })
    await env.reporter.tick()
    await env.tally.add(ORG, env.today(), { messages: 3 })
    await env.answer()
    const day = env.today()
    const at = (await sendAtOf(env, day)).sendAt!
    env.failing.reports = 1
    env.advance(at - env.now())
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(0)
    expect(await sendAtOf(env, day)).toMatchObject({ sendAt: at })
    await env.reporter.sendDue()
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(1)
    expect((await sendAtOf(env, day)).spent).toBe(true)
    env.reporter.stop()
  })

  describe('the timer', () => {
    afterEach(() => void vi.useRealTimers())
    test('[Q4] a token answered on the day itself sets the timer: its report goes at its time the next day without any tick', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      const env = setup({ windowMs: DAY })
      await env.reporter.tick()
      await env.tally.add(ORG, env.today(), { messages: 3 })
      await env.answer()
      const at = (await sendAtOf(env, env.today())).sendAt!
      // The timer looks again at least every 30 minutes; each time it fires, the clock has moved on.
      for (let i = 0; i < 200 && env.sent.filter((s) => s.kind === 'report').length === 0; i++) {
        env.advance(Math.min(30 * 60_000, at - env.now()))
        await vi.runOnlyPendingTimersAsync()
        await new Promise((r) => setImmediate(r))
      }
      expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(1)
      env.reporter.stop()
    })
  })
})
