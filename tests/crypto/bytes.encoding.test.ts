import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { bytesEqual, fromBase64Url, fromHex, toBase64Url, toHex } from '../../crypto/index.js'
import { text } from './personas.js'

describe('[C0] base64url: one value, one spelling; bad text is refused, never thrown', () => {
  test('[C0] RFC 4648 vectors, unpadded, URL alphabet', () => {
    const vectors: [string, string][] = [
      ['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy'],
    ]
    for (const [plain, encoded] of vectors) {
      expect(toBase64Url(text(plain))).toBe(encoded)
      expect(fromBase64Url(encoded)).toEqual(text(plain))
    }
    expect(toBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
  })

  test('[C0] round trip for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes)
      }),
    )
  })

  test('[C0] refuses padding, the standard alphabet, whitespace, non-ASCII and a dangling character', () => {
    for (const bad of ['Zg==', 'Zm8=', '+/8', 'Zm 9v', 'Zm9v\n', 'Zé', 'Zm9vY', 'A']) {
      expect(fromBase64Url(bad), JSON.stringify(bad)).toBeUndefined()
    }
  })

  test('[C0] refuses non-zero trailing bits, so no two strings decode to the same bytes', () => {
    expect(fromBase64Url('Zg')).toEqual(text('f'))
    expect(fromBase64Url('Zh')).toBeUndefined()
    expect(fromBase64Url('Zm8')).toEqual(text('fo'))
    expect(fromBase64Url('Zm9')).toBeUndefined()
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/), (s) => {
        const bytes = fromBase64Url(s)
        if (bytes) expect(toBase64Url(bytes)).toBe(s)
      }),
    )
  })

  test('[C0] hex: lower-case round trip; odd length and other characters refused', () => {
    expect(toHex(new Uint8Array([0, 15, 255]))).toBe('000fff')
    expect(fromHex('000fff')).toEqual(new Uint8Array([0, 15, 255]))
    for (const bad of ['0', '0g', '00FF', ' 00']) expect(fromHex(bad)).toBeUndefined()
  })

  test('[C0] bytesEqual compares content and length', () => {
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false)
  })
})
