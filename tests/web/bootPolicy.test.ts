import { describe, expect, it } from 'vitest'
import { previewAllowed, rememberLockPolicy } from '../../client/web/bootPolicy.js'
import { denyLocalStorage, useFakeLocalStorage } from './fakeLocalStorage.js'

/**
 * [W39] The first paint at launch never shows a conversation that the app would hide behind an
 * organisation's required app lock ([M29], [T21]): without a lock set, it paints only when the
 * last run found that no organisation requires one.
 */
useFakeLocalStorage()

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
    denyLocalStorage()
    expect(() => rememberLockPolicy(false)).not.toThrow()
    expect(previewAllowed(false)).toBe(false)
    expect(previewAllowed(true)).toBe(true)
  })
})
