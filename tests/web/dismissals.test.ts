import { describe, expect, it } from 'vitest'
import { forgetDismissed, isDismissed, rememberDismissed } from '../../client/web/dismissals.js'
import { denyLocalStorage, useFakeLocalStorage } from './fakeLocalStorage.js'

/** [W12] A dismissed notice stays dismissed for the situation it described, and only for it. */
useFakeLocalStorage()

describe('[W12] dismissals', () => {
  it('stays dismissed for the same situation, comes back when it changes, and is forgotten when it ends', () => {
    expect(isDismissed('store-corrupt', '2')).toBe(false)
    rememberDismissed('store-corrupt', '2')
    expect(isDismissed('store-corrupt', '2')).toBe(true)
    expect(isDismissed('store-corrupt', '3')).toBe(false)
    expect(isDismissed('store-lost', '2')).toBe(false)
    forgetDismissed('store-corrupt')
    expect(isDismissed('store-corrupt', '2')).toBe(false)
  })
  it('without localStorage (private mode) a notice is shown and nothing throws', () => {
    denyLocalStorage()
    expect(() => rememberDismissed('store-persistence', 'best-effort')).not.toThrow()
    expect(isDismissed('store-persistence', 'best-effort')).toBe(false)
    expect(() => forgetDismissed('store-persistence')).not.toThrow()
  })
})
