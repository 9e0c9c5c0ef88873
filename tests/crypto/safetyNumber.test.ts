import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  compareVerificationCode, compareVerificationText, CryptoMisuse, fingerprint, frame, safetyNumber, toBase64Url, toHex,
  verificationCode, VERIFICATION_CODE_BYTES,
} from '../../crypto/index.js'
import { persona } from './personas.js'

/**
 * [V1] Personas: alice and bob compare numbers; eve runs the server and swaps or adds a device key.
 * Each fingerprint is 5,200 SHA-512 rounds (~40 ms here), so the property runs stay few.
 */
const key = (fill: number) => new Uint8Array(32).fill(fill)
const alice = { user: 'alice', devices: [key(1), key(2)] }
const bob = { user: 'bob', devices: [key(3)] }

/** The [V1] text of crypto/SPEC.md, written again on node:crypto as an independent reference. */
function referenceFingerprint(user: string, devices: Uint8Array[]): Buffer {
  const keys = [...new Set(devices.map((d) => Buffer.from(d).toString('hex')))].sort().map((h) => Buffer.from(h, 'hex'))
  let h = createHash('sha512').update(frame('fieldchat/v1/safety-number', [Uint8Array.of(1), new TextEncoder().encode(user), ...keys])).digest()
  for (let i = 1; i < 5200; i++) h = createHash('sha512').update(Buffer.concat([h, ...keys])).digest()
  return h.subarray(0, 30)
}

describe('[V1] safety numbers', () => {
  test('[V1] known-answer vector (a change to the construction must fail this)', () => {
    expect(safetyNumber(alice, bob)).toBe('23475 01638 90486 42109 53224 77337 59345 56716 00322 73001 01139 47550')
    expect(toHex(verificationCode(alice.user, alice.devices))).toBe(VECTOR_ALICE_CODE)
  })

  test('[V1] matches an independent implementation of the SPEC text', () => {
    const devices = [persona('alice').keys.signPublic, persona('alice').keys.signPublic, key(9)]
    expect(Buffer.from(fingerprint('alice@example.org', devices))).toEqual(referenceFingerprint('alice@example.org', devices))
  })

  test('[V1] is 60 digits in 12 groups of 5', () => {
    const n = safetyNumber({ user: 'alice', devices: [persona('a').keys.signPublic] }, { user: 'bob', devices: [persona('b').keys.signPublic] })
    expect(n).toMatch(/^\d{5}( \d{5}){11}$/)
    expect(n.replaceAll(' ', '')).toHaveLength(60)
  })

  test('[V1] is the same for both people whatever the argument order', () => {
    expect(safetyNumber(bob, alice)).toBe(safetyNumber(alice, bob))
  })

  test('[V1] does not depend on the order (or repetition) of device keys', () => {
    const n = safetyNumber(alice, bob)
    expect(safetyNumber({ user: 'alice', devices: [key(2), key(1)] }, bob)).toBe(n)
    expect(safetyNumber({ user: 'alice', devices: [key(2), key(1), key(2)] }, bob)).toBe(n)
  })

  test('[V1] changes when eve swaps a device key, adds one or removes one', () => {
    const n = safetyNumber(alice, bob)
    expect(safetyNumber({ user: 'alice', devices: [key(1), key(4)] }, bob)).not.toBe(n)
    expect(safetyNumber({ user: 'alice', devices: [key(1), key(2), key(5)] }, bob)).not.toBe(n)
    expect(safetyNumber({ user: 'alice', devices: [key(1)] }, bob)).not.toBe(n)
    expect(safetyNumber(alice, { user: 'bob', devices: [key(3), key(6)] })).not.toBe(n)
    const flipped = key(3)
    flipped[31]! ^= 1
    expect(safetyNumber(alice, { user: 'bob', devices: [flipped] })).not.toBe(n)
  })

  test('[V1] binds the user id: the same keys under another name give another number', () => {
    expect(safetyNumber({ user: 'carol', devices: alice.devices }, bob)).not.toBe(safetyNumber(alice, bob))
  })

  test('[V1] for random key sets, swapping one key always changes the number', () => {
    const keySet = fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
      minLength: 1, maxLength: 4, selector: (k) => toHex(k),
    })
    fc.assert(
      fc.property(keySet, fc.nat(), fc.uint8Array({ minLength: 32, maxLength: 32 }), (devices, at, replacement) => {
        const i = at % devices.length
        fc.pre(toHex(devices[i]!) !== toHex(replacement))
        const swapped = devices.map((d, j) => (j === i ? replacement : d))
        expect(safetyNumber({ user: 'alice', devices: swapped }, bob)).not.toBe(safetyNumber({ user: 'alice', devices }, bob))
      }),
      { numRuns: 20 },
    )
  })

  test('[V1] [C0] misuse throws CryptoMisuse: empty user id, no devices, a key that is not 32 bytes', () => {
    expect(() => safetyNumber({ user: '', devices: [key(1)] }, bob)).toThrow(CryptoMisuse)
    expect(() => safetyNumber({ user: 'alice', devices: [] }, bob)).toThrow(CryptoMisuse)
    expect(() => safetyNumber({ user: 'alice', devices: [new Uint8Array(31)] }, bob)).toThrow(CryptoMisuse)
    expect(() => verificationCode('alice', [new Uint8Array(33)])).toThrow(CryptoMisuse)
  })
})

describe('[V1] verification codes (QR)', () => {
  const code = verificationCode(alice.user, alice.devices)

  test('[V1] is a version byte and the 30-byte fingerprint, nothing else', () => {
    expect(code).toHaveLength(VERIFICATION_CODE_BYTES)
    expect(code[0]).toBe(1)
    expect(code.subarray(1)).toEqual(fingerprint(alice.user, alice.devices))
  })

  test('[V1] a scanned code for the same keys matches, in any device order', () => {
    expect(compareVerificationCode(code, 'alice', [key(2), key(1)])).toBe('match')
  })

  test('[V1] a code for a swapped, added or missing key, or for another user, is a mismatch', () => {
    expect(compareVerificationCode(code, 'alice', [key(1), key(4)])).toBe('mismatch')
    expect(compareVerificationCode(code, 'alice', [key(1), key(2), key(5)])).toBe('mismatch')
    expect(compareVerificationCode(code, 'alice', [key(1)])).toBe('mismatch')
    expect(compareVerificationCode(code, 'carol', alice.devices)).toBe('mismatch')
    const tampered = code.slice()
    tampered[30]! ^= 0x80
    expect(compareVerificationCode(tampered, 'alice', alice.devices)).toBe('mismatch')
  })

  test('[V1] [C0] malformed or short scanned bytes are malformed, never a throw', () => {
    const unknownVersion = code.slice()
    unknownVersion[0] = 2
    for (const bad of [new Uint8Array(0), code.subarray(0, 30), code.subarray(1), new Uint8Array([...code, 0]), unknownVersion]) {
      expect(compareVerificationCode(bad, 'alice', alice.devices)).toBe('malformed')
    }
  })

  test('[V1] [C0] pasted text is parsed strictly: base64url of the code matches, anything else is malformed', () => {
    const text = toBase64Url(code)
    expect(compareVerificationText(text, 'alice', alice.devices)).toBe('match')
    expect(compareVerificationText(text, 'alice', [key(1)])).toBe('mismatch')
    for (const bad of ['', 'not a code!', `${text}=`, ` ${text}`, text.slice(0, -2), Buffer.from(code).toString('base64')]) {
      expect(compareVerificationText(bad, 'alice', alice.devices), JSON.stringify(bad)).toBe('malformed')
    }
  })

  test('[V1] [C0] misuse on our own side still throws, whatever was scanned', () => {
    expect(() => compareVerificationCode(new Uint8Array(0), 'alice', [])).toThrow(CryptoMisuse)
    expect(() => compareVerificationText('', 'alice', [])).toThrow(CryptoMisuse)
  })
})

const VECTOR_ALICE_CODE = '018df3bd51512d5bd1126c2a11ffc182c148d47bc963065fc1d33523bfedfe'
