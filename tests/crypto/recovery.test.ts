import { hkdfSync } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { CryptoMisuse, generateRecoveryKey, openRecoveryBlob, openRecoveryDevice, parseRecoveryKey, recoveryKeyText, recoverySecrets, sealRecoveryBlob, sealRecoveryDevice } from '../../crypto/index.js'

/** [R7] Recovery keys, what derives from them, and the sealed blob. */
const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7)

describe('[R7] recovery keys', () => {
  test('[R7] the secrets are HKDF-SHA-256 of the key (zero salt), one domain each, all different', () => {
    const s = recoverySecrets(key)
    for (const [name, value] of Object.entries(s)) expect(value, name).toEqual(new Uint8Array(hkdfSync('sha256', key, new Uint8Array(32), `fieldchat/v1/recovery/${name === 'addr' ? 'address' : name}`, 32)))
    expect(new Set(Object.values(s).map((v) => Buffer.from(v).toString('hex'))).size).toBe(4)
  })

  test('[R7] the text form round-trips, forgives case, dashes, spaces, O/0 and I/L/1, and catches a typo by its check byte', () => {
    for (let i = 0; i < 50; i++) {
      const k = generateRecoveryKey()
      const text = recoveryKeyText(k)
      expect(text).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]$/)
      expect(parseRecoveryKey(text)).toEqual({ ok: true, value: k })
      expect(parseRecoveryKey(` ${text.toLowerCase().replace(/-/g, ' ')} `)).toEqual({ ok: true, value: k })
      expect(parseRecoveryKey(text.replace(/0/g, 'O').replace(/1/g, 'l'))).toEqual({ ok: true, value: k })
    }
    const text = recoveryKeyText(key)
    let caught = 0
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '-') continue
      const other = text[i] === '2' ? '3' : '2'
      const r = parseRecoveryKey(text.slice(0, i) + other + text.slice(i + 1))
      if (!r.ok) caught++
    }
    expect(caught).toBeGreaterThanOrEqual(50) // every single-character typo but (rarely) one colliding in the check byte
    for (const bad of ['', 'ABCD', text + 'A', text.slice(0, -1), text.replace(/.$/, 'U')]) expect(parseRecoveryKey(bad).ok).toBe(false)
    expect(() => recoveryKeyText(new Uint8Array(16))).toThrow(CryptoMisuse)
  })
})

describe('[R7] the recovery blob', () => {
  test('[R7] sealed to a power of two from 4 KiB, opened only with its key and address, tamper detected', () => {
    const s = recoverySecrets(key)
    for (const n of [0, 1, 4000, 4056, 4057, 100_000]) {
      const plain = new Uint8Array(n).fill(9)
      const sealed = sealRecoveryBlob(s, plain)
      expect(sealed.length).toBeGreaterThanOrEqual(4096)
      expect(sealed.length & (sealed.length - 1)).toBe(0)
      expect(openRecoveryBlob(s, sealed)).toEqual({ ok: true, value: plain })
    }
    const sealed = sealRecoveryBlob(s, Uint8Array.of(1, 2, 3))
    expect(openRecoveryBlob(recoverySecrets(generateRecoveryKey()), sealed).ok).toBe(false)
    expect(openRecoveryBlob({ ...s, addr: new Uint8Array(32) }, sealed).ok).toBe(false)
    const flipped = sealed.slice()
    flipped[100]! ^= 1
    expect(openRecoveryBlob(s, flipped).ok).toBe(false)
    expect(openRecoveryBlob(s, sealed.subarray(0, 4000))).toMatchObject({ ok: false, code: 'C106_BAD_PADDING' })
    expect(() => sealRecoveryBlob(s, new Uint8Array(4 * 1024 * 1024))).toThrow(CryptoMisuse)
    // A fresh nonce each time: the same content twice is two different blobs.
    expect(Buffer.from(sealRecoveryBlob(s, Uint8Array.of(1))).equals(Buffer.from(sealRecoveryBlob(s, Uint8Array.of(1))))).toBe(false)
  })

  test('[R7] the recovery device\'s keys open only under the key\'s device secret, not the blob secret a device keeps', () => {
    const s = recoverySecrets(key)
    const sealed = sealRecoveryDevice(s, Uint8Array.of(5, 6, 7))
    expect(openRecoveryDevice(s, sealed)).toEqual({ ok: true, value: Uint8Array.of(5, 6, 7) })
    expect(openRecoveryDevice({ ...s, device: s.blob }, sealed).ok).toBe(false)
  })
})
