import { describe, expect, test } from 'vitest'
import { CLIPS, METRICS, ZERO_COUNTS, clipCounts, countsSchema } from '../../../client/core/stats/counts.js'
import { addDays, daysFrom, isDay, weekOf } from '../../../client/core/stats/days.js'
import { discreteLaplace, discreteLaplaceVariance, keyedUniforms } from '../../../client/core/stats/noise.js'
import { CLOSE_AFTER_DAYS, noiseScale, noiseStdDev, release } from '../../../client/core/stats/release.js'

/** A seeded generator for the distribution tests (sfc32): fixed seed, so the test is repeatable. */
function seeded(seed: number): () => number {
  let a = seed, b = 0x9e3779b9, c = 0x243f6a88, d = 0xb7e15162
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    const t = (a + b + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) + t
    return (t + 1) / 4294967297
  }
}

describe('[Q6] the noise has the stated distribution', () => {
  test('discrete Laplace at scale 50: mean 0, the stated variance, P(0) = (1−α)/(1+α), symmetric (100,000 draws, fixed seed)', () => {
    const u = seeded(42)
    const n = 100_000
    const scale = 50
    const draws = Array.from({ length: n }, () => discreteLaplace(u, scale))
    const mean = draws.reduce((a, b) => a + b, 0) / n
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)
    const stated = discreteLaplaceVariance(scale)
    // Mean: within 4 standard errors; variance: within 3% (its standard error here is about 0.9%).
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(stated / n))
    expect(Math.abs(variance / stated - 1)).toBeLessThan(0.03)
    const alpha = Math.exp(-1 / scale)
    const p0 = (1 - alpha) / (1 + alpha)
    const zeros = draws.filter((x) => x === 0).length / n
    expect(Math.abs(zeros - p0)).toBeLessThan(4 * Math.sqrt((p0 * (1 - p0)) / n))
    const above = draws.filter((x) => x > 0).length
    const below = draws.filter((x) => x < 0).length
    expect(Math.abs(above - below)).toBeLessThan(4 * Math.sqrt(n))
    // The tail: P(|X| ≥ k) = 2α^k/(1+α).
    const k = 150
    const tail = draws.filter((x) => Math.abs(x) >= k).length / n
    const statedTail = (2 * alpha ** k) / (1 + alpha)
    expect(Math.abs(tail - statedTail)).toBeLessThan(4 * Math.sqrt((statedTail * (1 - statedTail)) / n))
  })

  test('keyed uniforms: the same secret and label give the same stream, another label another; all in (0, 1]', () => {
    const secret = new Uint8Array(32).fill(1)
    const a = keyedUniforms(secret, 'org/2026-12-01/messages', 1020)
    const b = keyedUniforms(secret, 'org/2026-12-01/messages', 1020)
    const c = keyedUniforms(secret, 'org/2026-12-02/messages', 1020)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs)
    expect(c()).not.toBe(xs[0])
    expect(xs.every((x) => x > 0 && x <= 1)).toBe(true)
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05)
    for (let i = 0; i < 20; i++) a()
    expect(() => a()).toThrow(RangeError)
    // The prefix of a longer stream is the shorter one (HKDF), so a release's two uniforms are the stream's first two.
    const two = keyedUniforms(secret, 'org/2026-12-01/messages')
    expect([two(), two()]).toEqual(xs.slice(0, 2))
  })

  test('the release\'s own noise (one stream per organisation, day and metric) has the stated spread over 2,000 days', () => {
    const secret = new Uint8Array(32).fill(9)
    const days = daysFrom('2020-01-01', addDays('2020-01-01', 1999))
    const r = release({ org: 'o', noiseSecret: secret, totals: () => ({ sum: { ...ZERO_COUNTS, messages: 10_000 }, reports: 200 }), from: days[0]!, to: days.at(-1)!, today: '2030-01-01' })
    const noise = r.days.map((d) => d.raw.messages - 10_000)
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length
    const sd = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / (noise.length - 1))
    expect(Math.abs(sd / noiseStdDev('messages') - 1)).toBeLessThan(0.1)
    expect(Math.abs(mean)).toBeLessThan(4 * noiseStdDev('messages') / Math.sqrt(noise.length))
  })
})

describe('[Q2][Q6] counts and the release', () => {
  test('a report\'s counts are clipped, and parsed strictly', () => {
    expect(clipCounts({ ...ZERO_COUNTS, messages: 10_000, active: 7, fileMb: 3.7, calls: -4 })).toEqual({ ...ZERO_COUNTS, messages: CLIPS.messages, active: 1, fileMb: 3 })
    expect(countsSchema.safeParse({ ...ZERO_COUNTS, extra: 1 }).success).toBe(false)
    expect(countsSchema.safeParse({ ...ZERO_COUNTS, messages: 1.5 }).success).toBe(false)
    expect(countsSchema.safeParse({ ...ZERO_COUNTS, messages: -1 }).success).toBe(false)
    expect(noiseScale('messages')).toBe(CLIPS.messages)
  })

  test('released numbers are the same every time, differ by day and metric, stop at the last closed day, are never below 0; weeks count people once', () => {
    const secret = new Uint8Array(32).fill(5)
    const sums = new Map([
      ['2026-11-30', { ...ZERO_COUNTS, active: 20, activeWeek: 20, activeMonth: 20, messages: 300 }],
      ['2026-12-01', { ...ZERO_COUNTS, active: 18, activeWeek: 2, activeMonth: 0, messages: 280 }],
    ])
    const opts = { org: 'o', noiseSecret: secret, totals: (d: string) => (sums.has(d) ? { sum: sums.get(d)!, reports: 20 } : undefined), from: '2026-11-30', to: '2026-12-06', today: '2026-12-06' }
    const a = release(opts)
    expect(release(opts)).toEqual(a)
    // 2026-12-06 minus the closing days: the 2nd is the last closed day.
    expect(a.days.map((d) => d.day)).toEqual(daysFrom('2026-11-30', addDays('2026-12-06', -CLOSE_AFTER_DAYS - 1)))
    for (const d of a.days) for (const m of METRICS) expect(d.values[m]).toBeGreaterThanOrEqual(0)
    expect(a.days[0]!.values.messages).not.toBe(a.days[1]!.values.messages - 20)
    const week = a.weeks.find((w) => w.start === weekOf('2026-11-30'))!
    expect(week.values.active).toBe(Math.max(0, a.days.filter((d) => weekOf(d.day) === week.start).reduce((s, d) => s + d.raw.activeWeek, 0)))
    for (const d of a.days) for (const m of METRICS) expect(d.values[m]).toBe(Math.max(0, d.raw[m]))
    expect(release({ ...opts, noiseSecret: new Uint8Array(32).fill(6) })).not.toEqual(a)
  })

  test('days are UTC calendar days', () => {
    expect(isDay('2026-02-28')).toBe(true)
    expect(isDay('2026-02-30')).toBe(false)
    expect(isDay('2026-2-3')).toBe(false)
    expect(weekOf('2026-12-06')).toBe('2026-11-30')
    expect(weekOf('2026-11-30')).toBe('2026-11-30')
  })
})
