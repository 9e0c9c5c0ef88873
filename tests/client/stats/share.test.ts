import { describe, expect, test } from 'vitest'
import { generateDeviceKeys, toHex } from '../../../crypto/index.js'
import { ZERO_COUNTS, CLIPS } from '../../../client/core/stats/counts.js'
import { openShare, sealShare, withinRange } from '../../../client/core/stats/share.js'
import type { UsageReport } from '../../../client/core/stats/stats.js'

/** [Q10] The collector's report shared with another admin device: sealed to it, signed, parsed strictly. */
const ORG = 'o'.repeat(22)
const report: UsageReport = {
  org: ORG,
  from: '2026-11-01',
  to: '2026-11-10',
  lastClosedDay: '2026-11-06',
  days: ['2026-11-01', '2026-11-02', '2026-11-03'].map((day) => ({ day, values: { ...ZERO_COUNTS, messages: 10 }, raw: { ...ZERO_COUNTS, messages: 10 } })),
  weeks: [{ start: '2026-10-26', values: ZERO_COUNTS }],
  months: [{ start: '2026-11', values: ZERO_COUNTS }],
  privacy: { epsilonPerMetricDay: 1, clips: CLIPS, noiseStdDev: CLIPS, minCell: 5, closeAfterDays: 3 },
  devicesInContact: [{ day: '2026-11-01', devices: 4 }],
  devicesInContactByWeek: [{ start: '2026-10-26', devices: 4 }],
  devicesInContactByMonth: [{ start: '2026-11', devices: 5 }],
  storage: { bytes: 65_552, pending: 0, quotaBytes: 1 << 30, asOf: '2026-11-10' },
  devices: [],
  versions: [],
  platforms: [],
  groups: { count: 0, sizes: [] },
  groupActivity: [{ group: 'g'.repeat(22), name: 'Night crew', people: 6, days: [{ day: '2026-11-01', active: 2, messages: 5, rawMessages: 5 }, { day: '2026-11-02', active: 0, messages: 0, rawMessages: -3 }, { day: '2026-11-03', active: 1, messages: 7, rawMessages: 7 }], messages: 9 }],
  invitations: { made: 1, accepted: 1, open: 0, expired: 0, revoked: 0 },
  sharedOn: '2026-11-10',
}

describe('[Q10] the shared report', () => {
  test('opens for the admin device it was sealed to, naming the collector; not for another device or organisation', async () => {
    const collector = generateDeviceKeys()
    const admin = generateDeviceKeys()
    const body = await sealShare(report, admin.boxPublic, collector)
    expect(await openShare(body, admin, [ORG])).toEqual({ report, signedBy: toHex(collector.signPublic) })
    expect(await openShare(body, generateDeviceKeys(), [ORG])).toBeUndefined()
    expect(await openShare(body, admin, ['p'.repeat(22)])).toBeUndefined()
  })

  test('a shared report that is not one (an extra field, a bad day) is refused whole', async () => {
    const collector = generateDeviceKeys()
    const admin = generateDeviceKeys()
    expect(await openShare(await sealShare({ ...report, extra: 1 } as UsageReport, admin.boxPublic, collector), admin, [ORG])).toBeUndefined()
    expect(await openShare(await sealShare({ ...report, from: '2026-13-01' }, admin.boxPublic, collector), admin, [ORG])).toBeUndefined()
  })

  test('a period within the shared one: its days, the weeks and months that overlap, the groups\' days and sums', () => {
    const r = withinRange(report, '2026-11-02', '2026-11-03')
    expect(r.days.map((d) => d.day)).toEqual(['2026-11-02', '2026-11-03'])
    expect(r.weeks).toHaveLength(0) // the week of 26 October ends on 1 November
    expect(r.months).toHaveLength(1)
    // The period's messages: the days' noisy totals summed before their floor (7 − 3), not the floored days (7 + 0).
    expect(r.groupActivity[0]).toMatchObject({ days: [{ day: '2026-11-02' }, { day: '2026-11-03' }], messages: 4 })
    expect(withinRange(report, '2026-11-02', '2026-11-02').groupActivity[0]!.messages).toBe(0)
    expect(withinRange(report, '2026-11-01', '2026-11-01').weeks).toHaveLength(1)
  })
})
