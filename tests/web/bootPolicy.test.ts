import { beforeEach, describe, expect, it } from 'vitest'
import { previewAllowed, rememberLockPolicy } from '../../client/web/bootPolicy.js'

/**
 * [W39] The first paint at launch never shows a conversation that the app would hide behind an
 * organisation's required app lock ([M29], [T21]): without a lock set, it paints only when the
 * last run found that no organisation requires one.
 */
const store = new Map<string, string>()
beforeEach(() => {
  store.clear()
  ;(globalThis as { localStorage?: unknown }).localStorage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  }
})

describe('[W39] the first paint and a required app lock', () => {
  it('a first run, or a run after an organisation required a lock, paints nothing early without a lock set', () => {
    expect(previewAllowed(false)).toBe(false)
    rememberLockPolicy(true)
    expect(previewAllowed(false)).toBe(false)
  })
  it('paints when no organisation required a lock last time, or when the person has just unlocked', () => {
    rememberLockPolicy(false)
    expect(previewAllowed(false)).toBe(true)
    rememberLockPolicy(true)
    expect(previewAllowed(true)).toBe(true)
  })
  it('without localStorage nothing throws, and nothing paints early unless unlocked', () => {
    ;(globalThis as { localStorage?: unknown }).localStorage = {
      getItem: () => {
        throw new Error('denied')
      },
      setItem: () => {
        throw new Error('denied')
      },
    }
    expect(() => rememberLockPolicy(false)).not.toThrow()
    expect(previewAllowed(false)).toBe(false)
    expect(previewAllowed(true)).toBe(true)
  })
})
