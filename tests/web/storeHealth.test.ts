import { expect, test } from 'vitest'
import { checkStoreHealth, rememberDevice } from '../../client/web/storeHealth.js'
import { useFakeLocalStorage } from './fakeLocalStorage.js'

useFakeLocalStorage()

test('[M1] a first start is not reported as lost data', () => {
  expect(checkStoreHealth(undefined, [])).toEqual({ lost: false, corrupt: 0 })
})

test('[M1] an identity that disappeared from IndexedDB is reported, not silently replaced', () => {
  rememberDevice('device-a')
  expect(checkStoreHealth(undefined, [])).toEqual({ lost: true, corrupt: 0 })
})

test('[M1] with the identity present nothing is lost; set-aside records are counted', () => {
  rememberDevice('device-a')
  expect(checkStoreHealth('device-a', ['conv/x', 'out/raw/y'])).toEqual({ lost: false, corrupt: 2 })
})
