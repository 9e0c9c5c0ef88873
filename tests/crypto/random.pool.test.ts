import { describe, expect, test, vi } from 'vitest'
import { randomBytes } from '../../crypto/index.js'

/** [C5] Nonces and ids come from a pool refilled by the CSPRNG: never a byte twice, few calls. */
describe('[C5] random bytes from a pool', () => {
  test('[C5] 20,000 draws of 12 and 24 bytes are all distinct, and small draws cost about one CSPRNG call per 4 KiB', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues')
    const seen = new Set<string>()
    for (let i = 0; i < 10_000; i++) for (const n of [12, 24]) seen.add(Buffer.from(randomBytes(n)).toString('hex'))
    expect(seen.size).toBe(20_000)
    expect(spy.mock.calls.length).toBeLessThanOrEqual(Math.ceil((10_000 * 36) / 4096) + 1)
    spy.mockRestore()
  })

  test('[C5] a draw is a copy: changing it changes no later draw; large draws come whole from the CSPRNG', () => {
    const a = randomBytes(32)
    a.fill(0)
    expect(randomBytes(32).some((b) => b !== 0)).toBe(true)
    const big = randomBytes(100_000)
    expect(big).toHaveLength(100_000)
    expect(new Set(big).size).toBeGreaterThan(200)
    expect(randomBytes(0)).toHaveLength(0)
  })
})
