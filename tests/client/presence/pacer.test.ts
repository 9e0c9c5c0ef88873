import { describe, expect, test } from 'vitest'
import { Pacer } from '../../../client/core/presence/pacer.js'

/** [M57] The pace's line: a token each to those waiting, urgent ones first, in order within a kind; a wait that runs out says so. */
describe('[M57] signals wait in line for the pace', () => {
  test('urgent waiters go before bulk ones that came earlier; within a kind, first come first served', async () => {
    const p = new Pacer(100, 2)
    expect(await p.acquire(0)).toBe(true)
    expect(await p.acquire(0)).toBe(true)
    // The bucket is empty: nothing goes without waiting, and nobody waiting is overtaken by `take`.
    expect(await p.acquire(0)).toBe(false)
    const order: string[] = []
    const waits = [
      p.acquire(2_000).then((ok) => ok && order.push('bulk 1')),
      p.acquire(2_000).then((ok) => ok && order.push('bulk 2')),
      p.acquire(2_000, true).then((ok) => ok && order.push('urgent 1')),
      p.acquire(2_000, true).then((ok) => ok && order.push('urgent 2')),
    ]
    expect(p.take()).toBeGreaterThan(0)
    await Promise.all(waits)
    expect(order).toEqual(['urgent 1', 'urgent 2', 'bulk 1', 'bulk 2'])
  })

  test('a wait that runs out is told false and takes no token from those behind it', async () => {
    const p = new Pacer(10, 1)
    expect(await p.acquire(0)).toBe(true)
    const [short, long] = await Promise.all([p.acquire(20), p.acquire(5_000)])
    expect(short).toBe(false)
    expect(long).toBe(true)
  })

  test('a burst of bulk never holds an urgent signal for longer than one token', async () => {
    const p = new Pacer(50, 1)
    const order: string[] = []
    const bulk = Array.from({ length: 20 }, (_, i) => p.acquire(5_000).then((ok) => ok && order.push(`bulk ${i}`)))
    const urgent = p.acquire(5_000, true).then((ok) => ok && order.push('urgent'))
    await Promise.all([urgent, ...bulk])
    // The first bulk signal had the bucket's only token; the urgent one is next, not behind nineteen.
    expect(order.slice(0, 2)).toEqual(['bulk 0', 'urgent'])
    expect(order).toHaveLength(21)
  })
})
