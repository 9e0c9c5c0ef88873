import { describe, expect, test } from 'vitest'
import { generateDeviceKeys, toHex } from '../../../crypto/index.js'
import { generateStatsKeyPair, signBlindedStatsToken } from '../../../crypto/statsToken.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { Reporter, type StatsTarget } from '../../../client/core/stats/reporter.js'
import { Tally } from '../../../client/core/stats/tally.js'
import { openStatsMail, type TokenRequest } from '../../../client/core/stats/wire.js'

/**
 * [Q3][Q4] The reporting device against a stand-in collector: what its requests say (every open
 * day and eligible group, active or not), that a tick which sends reports asks for nothing, and
 * that a token asked under a key no longer published is dropped, never spent.
 */
const ORG = 'o'.repeat(22)
const GROUP = 'g'.repeat(22)
const DAY = 86_400_000

function setup() {
  const store = createMemoryStore()
  const device = generateDeviceKeys()
  const collector = generateDeviceKeys()
  let pair = generateStatsKeyPair()
  let now = Date.parse('2026-12-06T10:00:00Z')
  const sent: { kind: 'request' | 'report'; request?: TokenRequest }[] = []
  const tally = new Tally(store)
  const target = (): StatsTarget => ({ org: ORG, key: pair.publicKey, collector: toHex(collector.signPublic), box: collector.boxPublic, mailbox: new Uint8Array(32), groups: () => [GROUP] })
  const reporter = new Reporter({
    store,
    tally,
    keys: device,
    now: () => now,
    targets: () => [target()],
    timing: { windowMs: 0, jitterMs: 0 },
    version: '1',
    platform: 'test',
    send: async (_org, _mailbox, body) => {
      const opened = await openStatsMail(body, collector, [ORG])
      if (opened && 'request' in opened) sent.push({ kind: 'request', request: opened.request })
      else if (opened && ('report' in opened || 'groupReport' in opened)) sent.push({ kind: 'report' })
    },
  })
  /** The collector answers the last request under `key` (default: the published one). */
  const answer = async (secret = pair.secret) => {
    const req = [...sent].reverse().find((s) => s.kind === 'request')!.request!
    const days = req.days.map((d) => ({ day: d.day, signed: (signBlindedStatsToken(secret, d.group ? `${ORG}/${d.group}` : ORG, d.day, d.blinded) as { value: Uint8Array }).value, ...(d.group ? { group: d.group } : {}) }))
    await reporter.onAnswer({ org: ORG, days, signedBy: toHex(collector.signPublic) })
  }
  return { reporter, tally, sent, answer, advance: (ms: number) => (now += ms), today: () => new Date(now).toISOString().slice(0, 10), rekey: () => (pair = generateStatsKeyPair()) }
}

describe('[Q3][Q4] the reporting device', () => {
  test('asks for the organisation\'s and the group\'s token of every open day whether active or not; a tick that sends reports asks for nothing', async () => {
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
    await new Promise((r) => setTimeout(r, 10))
    const tick = env.sent.slice(before)
    expect(tick.map((s) => s.kind)).toEqual(['report', 'report'])
    // The next tick asks for the new day's tokens.
    await env.reporter.tick()
    expect(env.sent.at(-1)!.kind).toBe('request')
  })

  test('a token asked under a key the policy no longer publishes is dropped, never spent', async () => {
    const env = setup()
    await env.reporter.tick()
    await env.answer()
    await env.tally.add(ORG, env.today(), { messages: 1 })
    env.rekey()
    env.advance(DAY)
    await env.reporter.tick()
    await new Promise((r) => setTimeout(r, 10))
    expect(env.sent.filter((s) => s.kind === 'report')).toHaveLength(0)
    // It asks again, under the new key.
    expect(env.sent.at(-1)!.kind).toBe('request')
  })
})
