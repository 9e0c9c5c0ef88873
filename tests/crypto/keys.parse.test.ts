import { describe, expect, test } from 'vitest'
import {
  CryptoMisuse, asBoxPublicKey, asBoxSecretKey, asEnvelopeHash, asEpochKey, asSignPublicKey, asSignSecretKey, createSigner,
  generateDeviceKeys, isAcceptableSignPublicKey, parseSignPublicKey, restoreDeviceKeys,
} from '../../crypto/index.js'
import { hex } from './personas.js'
import { NON_CANONICAL_KEYS, SMALL_ORDER_KEYS } from './vectors.js'

describe('[C1] device signing keys', () => {
  test('[C1] parseSignPublicKey accepts a generated key and the RFC 8032 key', () => {
    const keys = generateDeviceKeys()
    expect(parseSignPublicKey(keys.signPublic)).toBe(keys.signPublic)
    expect(parseSignPublicKey(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))).toBeDefined()
  })

  test('[C1] parseSignPublicKey refuses every small-order point and every non-canonical y', () => {
    for (const key of [...SMALL_ORDER_KEYS, ...NON_CANONICAL_KEYS]) {
      expect(parseSignPublicKey(key)).toBeUndefined()
      expect(isAcceptableSignPublicKey(key)).toBe(false)
    }
  })

  test('[C1] the encoding check is exact at the boundary: y = p - 2 passes it, y = p fails it', () => {
    const pMinus2 = new Uint8Array(32).fill(0xff)
    pMinus2[0] = 0xeb
    pMinus2[31] = 0x7f
    expect(isAcceptableSignPublicKey(pMinus2)).toBe(true)
    const p = pMinus2.slice()
    p[0] = 0xed
    expect(isAcceptableSignPublicKey(p)).toBe(false)
  })

  test('[C1] parseSignPublicKey refuses wrong lengths without throwing', () => {
    expect(parseSignPublicKey(new Uint8Array(31))).toBeUndefined()
    expect(parseSignPublicKey(new Uint8Array(33))).toBeUndefined()
  })

  test('[C1] restoreDeviceKeys refuses secrets that do not belong together', async () => {
    const keys = generateDeviceKeys()
    expect((await restoreDeviceKeys(keys.signSecret, keys.boxSecret))?.boxPublic).toEqual(keys.boxPublic)
    const mismatched = keys.signSecret.slice()
    mismatched[40]! ^= 1
    expect(await restoreDeviceKeys(mismatched, keys.boxSecret)).toBeUndefined()
    expect(await restoreDeviceKeys(keys.signSecret.subarray(0, 32), keys.boxSecret)).toBeUndefined()
  })
})

describe('[C0] programmer error throws CryptoMisuse at once', () => {
  test('[C0] key constructors refuse wrong lengths and non-bytes', () => {
    const cases: [(b: Uint8Array) => unknown, number][] = [
      [asSignSecretKey, 64],
      [asBoxPublicKey, 32],
      [asBoxSecretKey, 32],
      [asEpochKey, 32],
      [asEnvelopeHash, 32],
      [asSignPublicKey, 32],
    ]
    for (const [make, length] of cases) {
      expect(() => make(new Uint8Array(length - 1))).toThrow(CryptoMisuse)
      expect(() => make(new Uint8Array(length + 1))).toThrow(CryptoMisuse)
      expect(() => make([1, 2, 3] as unknown as Uint8Array)).toThrow(CryptoMisuse)
    }
    expect(() => asEpochKey(new Uint8Array(32))).not.toThrow()
  })

  test('[C0] [C1] asSignPublicKey throws for a small-order key', () => {
    expect(() => asSignPublicKey(SMALL_ORDER_KEYS[0]!)).toThrow(CryptoMisuse)
  })

  test('[C0] createSigner refuses a 63-byte secret key', () => {
    expect(() => createSigner(new Uint8Array(63) as never)).toThrow(CryptoMisuse)
  })
})
