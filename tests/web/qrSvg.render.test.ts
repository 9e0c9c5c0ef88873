import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { fromBase64Url, toBase64Url, verificationCode } from '../../crypto/index.js'
import { base64url } from '../../client/web/base64url.js'
import { QR_QUIET_ZONE, qrPath, qrSvg } from '../../client/web/qrSvg.js'

/** [V1] The QR code VerifyPanel shows: the base64url text of alice's verification code. */
const key = (fill: number) => new Uint8Array(32).fill(fill)
const aliceText = base64url(verificationCode('alice', [key(1), key(2)]))
const bobText = base64url(verificationCode('bob', [key(3)]))

describe('qrSvg', () => {
  test('returns a standalone SVG document whose viewBox is the module grid', () => {
    const svg = qrSvg(aliceText)
    const { size } = qrPath(aliceText)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(true)
    expect(svg.endsWith('</svg>')).toBe(true)
    expect(svg).toContain(`viewBox="0 0 ${size} ${size}"`)
    expect(svg).toMatch(/<path d="(M\d+ \d+h\d+v1h-\d+z)+" fill="#000"\/>/)
    expect(svg).not.toMatch(/script|on\w+=|href/i)
  })

  test('a verification code fits a small code: version 3 (29 modules) plus the quiet zone, under 8 KB', () => {
    expect(aliceText).toHaveLength(42)
    expect(qrPath(aliceText).size).toBe(29 + 2 * QR_QUIET_ZONE)
    expect(qrSvg(aliceText).length).toBeLessThan(8_000)
  })

  test('keeps the quiet zone clear and draws only inside the grid', () => {
    const { size, d } = qrPath(aliceText)
    for (const [, x, y, w] of d.matchAll(/M(\d+) (\d+)h(\d+)/g)) {
      expect(Number(x)).toBeGreaterThanOrEqual(QR_QUIET_ZONE)
      expect(Number(y)).toBeGreaterThanOrEqual(QR_QUIET_ZONE)
      expect(Number(y)).toBeLessThan(size - QR_QUIET_ZONE)
      expect(Number(x) + Number(w)).toBeLessThanOrEqual(size - QR_QUIET_ZONE)
    }
  })

  test('is deterministic, and different inputs give different output', () => {
    expect(qrSvg(aliceText)).toBe(qrSvg(aliceText))
    expect(qrSvg(bobText)).not.toBe(qrSvg(aliceText))
    expect(qrSvg(new Uint8Array([1, 2, 3]))).not.toBe(qrSvg(new Uint8Array([1, 2, 4])))
  })

  test('refuses what is neither text nor bytes', () => {
    expect(() => qrPath(42 as unknown as string)).toThrow(TypeError)
  })
})

describe('base64url (the text a scanned VerifyPanel code yields)', () => {
  test('[V1] writes exactly what crypto toBase64Url writes, and crypto reads it back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(base64url(bytes)).toBe(toBase64Url(bytes))
        expect(fromBase64Url(base64url(bytes))).toEqual(bytes)
      }),
    )
  })
})
