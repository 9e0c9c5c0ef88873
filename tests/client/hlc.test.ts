import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { HybridClock } from '../../client/core/documents/hlc.js'

/** [M14] The hybrid clock behind display order, against a wall clock the test controls. */
const DAY = 86_400_000

function clockAt(start: number) {
  let wall = start
  const clock = new HybridClock(() => wall)
  return { clock, set: (t: number) => void (wall = t), advance: (ms: number) => void (wall += ms) }
}

describe('HybridClock', () => {
  test('[M14] strictly increasing even when the wall clock stands still or runs backwards', () => {
    const { clock, set } = clockAt(1_000_000)
    const a = clock.now()
    const b = clock.now()
    set(500_000) // the device clock is set back
    const c = clock.now()
    expect(a).toBe(1_000_000)
    expect(b).toBe(1_000_001)
    expect(c).toBe(1_000_002)
  })

  test('[M14] never behind the wall clock', () => {
    const { clock, advance } = clockAt(1_000_000)
    clock.now()
    advance(5_000)
    expect(clock.now()).toBe(1_005_000)
  })

  test('[M14] property: any interleaving of wall moves, reads and observations stays monotonic and ≥ wall', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('wall' as const), ms: fc.integer({ min: -10_000, max: 10_000 }) }),
      fc.record({ kind: fc.constant('now' as const) }),
      fc.record({ kind: fc.constant('observe' as const), offset: fc.integer({ min: -2 * DAY, max: 2 * DAY }) }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let wall = 1_700_000_000_000
        const clock = new HybridClock(() => wall)
        let last = -Infinity
        for (const s of steps) {
          if (s.kind === 'wall') wall += s.ms
          else if (s.kind === 'observe') clock.observe(wall + s.offset)
          else {
            const t = clock.now()
            expect(t).toBeGreaterThan(last)
            expect(t).toBeGreaterThanOrEqual(wall)
            last = t
          }
        }
      }),
    )
  })

  test('[M14] observing a remote timestamp ahead of us moves the next local one past it', () => {
    const { clock } = clockAt(1_000_000)
    clock.observe(1_060_000) // bob's clock runs a minute fast
    expect(clock.now()).toBe(1_060_001)
  })

  test('[M14] observing an older timestamp changes nothing', () => {
    const { clock } = clockAt(1_000_000)
    clock.now()
    clock.observe(10)
    expect(clock.now()).toBe(1_000_001)
  })

  test('[M14] a timestamp more than a day ahead is ignored; exactly a day ahead is observed', () => {
    const { clock } = clockAt(1_000_000)
    clock.observe(1_000_000 + DAY + 1) // eve's clock (or eve) claims the far future
    expect(clock.now()).toBe(1_000_000)
    clock.observe(1_000_000 + DAY)
    expect(clock.now()).toBe(1_000_000 + DAY + 1)
  })

  test('[M14] non-integer and unsafe timestamps are ignored', () => {
    const { clock } = clockAt(1_000_000)
    for (const ts of [Number.NaN, Number.POSITIVE_INFINITY, 1_000_500.5, 2 ** 60]) clock.observe(ts)
    expect(clock.now()).toBe(1_000_000)
  })
})
