import { describe, expect, test } from 'vitest'
import { ErrorCode, errorText, isErrorCode } from '../../protocol/index.js'

describe('[P7] wire error codes', () => {
  test('[P7] codes are unique numbers in the 1000-1599 range, grouped by concern', () => {
    const codes = Object.values(ErrorCode)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(code >= 1000 && code < 1600).toBe(true)
  })

  test('[P7] every code has a message for the local person and one for the remote peer', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(errorText[code].local.length, String(code)).toBeGreaterThan(0)
      expect(errorText[code].remote.length, String(code)).toBeGreaterThan(0)
      // The remote text goes into a WebSocket close reason (at most 123 bytes) and an error frame.
      expect(errorText[code].remote.length).toBeLessThanOrEqual(100)
    }
    expect(Object.keys(errorText).map(Number).sort()).toEqual(Object.values(ErrorCode).sort())
  })

  test('[P7] isErrorCode knows the catalogue and nothing else', () => {
    for (const code of Object.values(ErrorCode)) expect(isErrorCode(code)).toBe(true)
    for (const n of [0, 999, 1099, 1600, -1, 1000.5]) expect(isErrorCode(n)).toBe(false)
  })

  test('[P7] the close code of a fatal error is 4000 + (code mod 1000), unique per code', () => {
    const closes = Object.values(ErrorCode).map((c) => 4000 + (c % 1000))
    expect(new Set(closes).size).toBe(closes.length)
    for (const c of closes) expect(c >= 4000 && c <= 4999).toBe(true)
  })
})
