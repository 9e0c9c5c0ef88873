import { bls12_381 } from '@noble/curves/bls12-381.js'
import { sha512 } from '@noble/hashes/sha2.js'
import nacl from 'tweetnacl'
import { describe, expect, test } from 'vitest'
import { CryptoErrorCode, CryptoMisuse, frame, openAnonymous, sealAnonymous, utf8 } from '../../crypto/index.js'
import { blindStatsToken, generateStatsKeyPair, signBlindedStatsToken, statsDayPublicKey, unblindStatsToken, verifyStatsToken } from '../../crypto/statsToken.js'

/** [X3] Blind usage-report tokens on BLS12-381; [X4] the anonymous seal of a report. */
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const ORG = 'o'.repeat(22)
const seed = new Uint8Array(32).fill(7)
const nonce = new Uint8Array(32).fill(9)
const fixed = { nonce, r: 123456789n }

function issue(keys = generateStatsKeyPair(seed), day = '2026-12-01', org = ORG) {
  const blinded = blindStatsToken(org, day)
  const answer = signBlindedStatsToken(keys.secret, org, day, blinded.blinded)
  if (!answer.ok) throw new Error(answer.code)
  const token = unblindStatsToken(keys.publicKey, org, blinded, answer.value)
  if (!token.ok) throw new Error(token.code)
  return { keys, blinded, token: token.value }
}

describe('[X3] blind tokens', () => {
  test('vector: a fixed seed, nonce and blinding give fixed bytes, and the unblinded token is (sk + t)⁻¹·H(m), computed here without blinding', () => {
    const keys = generateStatsKeyPair(seed)
    const blinded = blindStatsToken(ORG, '2026-12-01', fixed)
    const answer = signBlindedStatsToken(keys.secret, ORG, '2026-12-01', blinded.blinded)
    expect(answer.ok).toBe(true)
    const token = unblindStatsToken(keys.publicKey, ORG, blinded, (answer as { value: Uint8Array }).value)
    expect(token.ok).toBe(true)
    const signature = (token as { value: { signature: Uint8Array } }).value.signature
    expect({ pk: hex(keys.publicKey).slice(0, 32), blinded: hex(blinded.blinded).slice(0, 32), signature: hex(signature).slice(0, 32) }).toMatchInlineSnapshot(`
      {
        "blinded": "a6bd5d1c8a79d70231ddb74417fc3f42",
        "pk": "a2b0201c6722772f59a7f3fb1eb83126",
        "signature": "ae7dee2a3fefc441c134d3e1ad3add4d",
      }
    `)
    const Fr = bls12_381.fields.Fr
    const scalar = (b: Uint8Array) => Fr.create(BigInt('0x' + hex(b)))
    const t = scalar(sha512(frame('fieldchat/v1/stats/day-key', [utf8.encode(ORG), utf8.encode('2026-12-01')])))
    const message = bls12_381.shortSignatures.hash(frame('fieldchat/v1/stats/token', [utf8.encode(ORG), utf8.encode('2026-12-01'), nonce]), 'FIELDCHAT-V1-STATS-TOKEN_BLS12381G1_XMD:SHA-256_SSWU_RO_')
    expect(hex(message.multiply(Fr.inv(Fr.add(scalar(keys.secret), t))).toBytes(true))).toBe(hex(signature))
    expect(hex(statsDayPublicKey(keys.publicKey, ORG, '2026-12-01')!)).toBe(hex(bls12_381.G2.Point.BASE.multiply(Fr.add(scalar(keys.secret), t)).toBytes(true)))
  })

  test('an answer for one label or day cannot be turned into one for another (the linear tweak\'s conversion fails)', () => {
    const keys = generateStatsKeyPair()
    const Fr = bls12_381.fields.Fr
    const G1 = bls12_381.G1.Point
    const tweak = (label: string, day: string) => Fr.create(BigInt('0x' + hex(sha512(frame('fieldchat/v1/stats/day-key', [utf8.encode(label), utf8.encode(day)])))))
    // The device asks for a group token of the 1st, blinding a message for the organisation on the 3rd…
    const wanted = blindStatsToken(ORG, '2026-12-03')
    const answer = (signBlindedStatsToken(keys.secret, `${ORG}/group`, '2026-12-01', wanted.blinded) as { value: Uint8Array }).value
    expect(unblindStatsToken(keys.publicKey, ORG, wanted, answer)).toMatchObject({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    // …and tries to move the answer by the public tweaks, as it could if the scalar were sk + t.
    const B = G1.fromBytes(wanted.blinded)
    const moved = G1.fromBytes(answer).subtract(B.multiply(tweak(`${ORG}/group`, '2026-12-01'))).add(B.multiply(tweak(ORG, '2026-12-03')))
    expect(unblindStatsToken(keys.publicKey, ORG, wanted, moved.toBytes(true))).toMatchObject({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    const ratio = Fr.mul(Fr.add(0n, tweak(ORG, '2026-12-03')), Fr.inv(tweak(`${ORG}/group`, '2026-12-01')))
    expect(unblindStatsToken(keys.publicKey, ORG, wanted, G1.fromBytes(answer).multiply(ratio).toBytes(true))).toMatchObject({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('a token verifies for its organisation, day and nonce only', () => {
    const { keys, token } = issue()
    expect(verifyStatsToken(keys.secret, ORG, token)).toBe(true)
    expect(verifyStatsToken(keys.secret, ORG, { ...token, day: '2026-12-02' })).toBe(false)
    expect(verifyStatsToken(keys.secret, 'p'.repeat(22), token)).toBe(false)
    const otherNonce = token.nonce.slice()
    otherNonce[0]! ^= 1
    expect(verifyStatsToken(keys.secret, ORG, { ...token, nonce: otherNonce })).toBe(false)
    expect(verifyStatsToken(generateStatsKeyPair().secret, ORG, token)).toBe(false)
    const flipped = token.signature.slice()
    flipped[10]! ^= 1
    expect(verifyStatsToken(keys.secret, ORG, { ...token, signature: flipped })).toBe(false)
    expect(verifyStatsToken(keys.secret, ORG, { ...token, signature: new Uint8Array(48) })).toBe(false)
  })

  test('a collector that signs with any key but the published one is caught by the device (no tagging of one device)', () => {
    const published = generateStatsKeyPair()
    const tagging = generateStatsKeyPair()
    const blinded = blindStatsToken(ORG, '2026-12-01')
    const answer = signBlindedStatsToken(tagging.secret, ORG, '2026-12-01', blinded.blinded)
    expect(unblindStatsToken(published.publicKey, ORG, blinded, (answer as { value: Uint8Array }).value)).toMatchObject({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    // Signed for another day under the right key: caught too.
    const wrongDay = signBlindedStatsToken(published.secret, ORG, '2026-12-02', blinded.blinded)
    expect(unblindStatsToken(published.publicKey, ORG, blinded, (wrongDay as { value: Uint8Array }).value)).toMatchObject({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('blindness: the collector sees a fresh uniform point each time, never the message point; the same nonce blinded twice differs', () => {
    const a = blindStatsToken(ORG, '2026-12-01', { nonce, r: 5n })
    const b = blindStatsToken(ORG, '2026-12-01', { nonce, r: 6n })
    expect(hex(a.blinded)).not.toBe(hex(b.blinded))
    const plain = blindStatsToken(ORG, '2026-12-01', { nonce, r: 1n })
    expect(hex(a.blinded)).not.toBe(hex(plain.blinded))
    expect(hex(blindStatsToken(ORG, '2026-12-01').blinded)).not.toBe(hex(blindStatsToken(ORG, '2026-12-01').blinded))
  })

  test('hostile points are refused, not signed: identity, malformed, wrong length; a malformed key or answer fails closed', () => {
    const keys = generateStatsKeyPair()
    const identity = bls12_381.G1.Point.ZERO.toBytes(true)
    for (const bad of [identity, new Uint8Array(48), new Uint8Array(48).fill(0xff), new Uint8Array(47), new Uint8Array(96)]) {
      expect(signBlindedStatsToken(keys.secret, ORG, '2026-12-01', bad)).toMatchObject({ ok: false, code: CryptoErrorCode.MALFORMED })
    }
    const blinded = blindStatsToken(ORG, '2026-12-01')
    expect(unblindStatsToken(keys.publicKey, ORG, blinded, identity)).toMatchObject({ ok: false, code: CryptoErrorCode.MALFORMED })
    expect(unblindStatsToken(new Uint8Array(96), ORG, blinded, identity)).toMatchObject({ ok: false, code: CryptoErrorCode.BAD_KEY })
    expect(statsDayPublicKey(new Uint8Array(95), ORG, '2026-12-01')).toBeUndefined()
  })

  test('misuse throws: a day not YYYY-MM-DD, a nonce or seed of the wrong length, a zero blinding', () => {
    const keys = generateStatsKeyPair()
    expect(() => blindStatsToken(ORG, '1 Dec 2026')).toThrow(CryptoMisuse)
    expect(() => blindStatsToken(ORG, '2026-12-01', { nonce: new Uint8Array(31), r: 3n })).toThrow(CryptoMisuse)
    expect(() => blindStatsToken(ORG, '2026-12-01', { nonce, r: 0n })).toThrow(CryptoMisuse)
    expect(() => signBlindedStatsToken(keys.secret.subarray(1), ORG, '2026-12-01', new Uint8Array(48))).toThrow(CryptoMisuse)
    expect(() => generateStatsKeyPair(new Uint8Array(16))).toThrow(CryptoMisuse)
  })
})

describe('[X4] the anonymous seal', () => {
  const recipient = nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(3))
  const context = utf8.encode('org-1')

  test('opens for its recipient and context only; tampering, truncation and another version fail closed; no two seals alike', () => {
    const plain = utf8.encode('a report')
    const sealed = sealAnonymous(plain, recipient.publicKey, context)
    expect(openAnonymous(sealed, recipient.secretKey, context)).toEqual({ ok: true, value: plain })
    expect(hex(sealAnonymous(plain, recipient.publicKey, context))).not.toBe(hex(sealed))
    expect(openAnonymous(sealed, recipient.secretKey, utf8.encode('org-2'))).toMatchObject({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
    expect(openAnonymous(sealed, nacl.box.keyPair().secretKey, context)).toMatchObject({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
    const flipped = sealed.slice()
    flipped[sealed.length - 1]! ^= 1
    expect(openAnonymous(flipped, recipient.secretKey, context)).toMatchObject({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
    expect(openAnonymous(sealed.subarray(0, 80), recipient.secretKey, context)).toMatchObject({ ok: false, code: CryptoErrorCode.MALFORMED })
    const v2 = sealed.slice()
    v2[0] = 2
    expect(openAnonymous(v2, recipient.secretKey, context)).toMatchObject({ ok: false, code: CryptoErrorCode.UNSUPPORTED_VERSION })
  })

  test('a small-order recipient key is refused', () => {
    expect(() => sealAnonymous(new Uint8Array(1), new Uint8Array(32), context)).toThrow(CryptoMisuse)
  })
})
