import { bls12_381 } from '@noble/curves/bls12-381.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { utf8 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { frame } from './hash.js'
import { randomBytes } from './random.js'

/**
 * [X3] Usage-report tokens (client/core [Q3]): one per device, label (an organisation, or one of
 * its groups) and day, issued blind, so that the organisation's statistics collector can tell that
 * a report comes from a device it issued a token to for that label and day, and that no token
 * counts twice, but not which device sent it. A *partially blind* signature on BLS12-381 from
 * @noble/curves (the Zhang–Safavi-Naini–Susilo construction, 2003): the label and day are public
 * and bound by the signer's key, the rest of the message is blind. Messages and signatures in G1
 * (48 bytes compressed), keys in G2 (96 bytes).
 *
 * - The collector's master secret `sk` and public key `pk = sk·G2`; for label `L` and day `D`,
 *   `t = H_Fr(L ‖ D)` and the signing scalar is `(sk + t)⁻¹`; its public counterpart
 *   `pk + t·G2` every device computes from the `pk` the organisation's policy publishes.
 * - A device draws a 32-byte nonce `n` and a blinding scalar `r`, and sends `B = r·H(L, D, n)`
 *   (hash to G1, RFC 9380, with this construction's own DST); the collector answers
 *   `S' = (sk + t)⁻¹·B`; the device unblinds `S = r⁻¹·S'` and checks `e(S, pk + t·G2) = e(H(m), G2)`
 *   against the published key, so a collector that signed one device under a key of its own (to
 *   recognise its reports later) is caught at once.
 * - The collector checks a spent token by recomputing `(sk + t)⁻¹·H(m)`: no pairing.
 * Why the inverse: with a signing scalar *linear* in the public tweak (`sk + t`, as a first
 * version had), an answer for one day converts into an answer for any other
 * (`S' − t₁·B + t₂·B`); `(sk + t₂)⁻¹` is no public function of `(sk + t₁)⁻¹` (the q-SDH family of
 * assumptions), and `tests/crypto/statsToken.test.ts` tries that conversion.
 * Blindness: `B` is uniform in G1 whatever `n` is, so the signer's view does not tell tokens apart.
 *
 * Not re-exported by crypto/index.ts: BLS12-381 is large, and only a device whose organisation has
 * statistics on needs it, so the app loads this module when it does (`import()`).
 */
const bls = bls12_381.shortSignatures
const G1 = bls12_381.G1.Point
const G2 = bls12_381.G2.Point
const Fr = bls12_381.fields.Fr
const DST = 'FIELDCHAT-V1-STATS-TOKEN_BLS12381G1_XMD:SHA-256_SSWU_RO_'
const DOMAIN_MESSAGE = 'fieldchat/v1/stats/token'
const DOMAIN_TWEAK = 'fieldchat/v1/stats/day-key'
const DAY = /^\d{4}-\d{2}-\d{2}$/

import { STATS_POINT_BYTES, STATS_PUBLIC_KEY_BYTES, STATS_TOKEN_NONCE_BYTES } from './statsTokenSizes.js'

export interface StatsKeyPair {
  /** The master secret scalar, 32 bytes big-endian. */
  readonly secret: Uint8Array
  /** `sk·G2`, 96 bytes compressed: what the organisation's policy publishes. */
  readonly publicKey: Uint8Array
}

/** A token before it is signed: what the device keeps, and `blinded`, what it sends. */
export interface BlindedToken {
  readonly day: string
  readonly nonce: Uint8Array
  readonly blinded: Uint8Array
  /** The blinding scalar, kept until the answer comes. */
  readonly r: bigint
}

/** A token the collector signed, unblinded and checked: spent once, in one report. */
export interface StatsToken {
  readonly day: string
  readonly nonce: Uint8Array
  readonly signature: Uint8Array
}

const scalarOf = (bytes: Uint8Array): bigint => Fr.create(BigInt('0x' + (Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('') || '0')))
const bytesOfScalar = (n: bigint): Uint8Array => Uint8Array.from(n.toString(16).padStart(64, '0').match(/../g)!, (h) => parseInt(h, 16))
/** A uniform non-zero scalar from 64 random bytes (the reduction's bias is below 2⁻²⁵⁰). */
function randomScalar(): bigint {
  for (;;) {
    const s = scalarOf(randomBytes(64))
    if (s !== 0n) return s
  }
}

function checkDay(org: string, day: string): void {
  if (!DAY.test(day)) throw new CryptoMisuse('day must be YYYY-MM-DD')
  if (!org || org.length > 64) throw new CryptoMisuse('org must be a conversation id')
}

function dayTweak(org: string, day: string): bigint {
  return scalarOf(sha512(frame(DOMAIN_TWEAK, [utf8.encode(org), utf8.encode(day)])))
}

/** `(sk + t)⁻¹` for the label and day; undefined in the negligible case `sk + t = 0`. */
function signingScalar(secret: Uint8Array, org: string, day: string): bigint | undefined {
  const sum = Fr.add(scalarOf(secret), dayTweak(org, day))
  return sum === 0n ? undefined : Fr.inv(sum)
}

function tokenPoint(org: string, day: string, nonce: Uint8Array) {
  return bls.hash(frame(DOMAIN_MESSAGE, [utf8.encode(org), utf8.encode(day), nonce]), DST)
}

/** A G1 point from its 48 compressed bytes, in the subgroup and not the identity; undefined otherwise. */
function readG1(bytes: Uint8Array) {
  if (bytes.length !== STATS_POINT_BYTES) return undefined
  try {
    const p = G1.fromBytes(bytes)
    p.assertValidity()
    return p.is0() ? undefined : p
  } catch {
    return undefined
  }
}

/** A fresh master key; `seed` (32 bytes) only for test vectors. */
export function generateStatsKeyPair(seed?: Uint8Array): StatsKeyPair {
  if (seed && seed.length !== 32) throw new CryptoMisuse('seed must be 32 bytes')
  const secret = seed ? bytesOfScalar(scalarOf(sha512(frame('fieldchat/v1/stats/key-seed', [seed])))) : bytesOfScalar(randomScalar())
  if (scalarOf(secret) === 0n) throw new CryptoMisuse('zero key')
  return { secret, publicKey: G2.BASE.multiply(scalarOf(secret)).toBytes(true) }
}

/** `pk + t·G2` for the label and day: what a device checks its unblinded token against. Undefined for a malformed key. */
export function statsDayPublicKey(publicKey: Uint8Array, org: string, day: string): Uint8Array | undefined {
  checkDay(org, day)
  if (publicKey.length !== STATS_PUBLIC_KEY_BYTES) return undefined
  try {
    const pk = G2.fromBytes(publicKey)
    pk.assertValidity()
    if (pk.is0()) return undefined
    return pk.add(G2.BASE.multiply(dayTweak(org, day))).toBytes(true)
  } catch {
    return undefined
  }
}

/** A device's side, first step: a fresh nonce and blinding; `blinded` goes to the collector. `r` only for test vectors. */
export function blindStatsToken(org: string, day: string, fixed?: { nonce: Uint8Array; r: bigint }): BlindedToken {
  checkDay(org, day)
  const nonce = fixed?.nonce ?? randomBytes(STATS_TOKEN_NONCE_BYTES)
  if (nonce.length !== STATS_TOKEN_NONCE_BYTES) throw new CryptoMisuse('nonce must be 32 bytes')
  const r = fixed?.r ?? randomScalar()
  if (r === 0n) throw new CryptoMisuse('zero blinding')
  return { day, nonce, r, blinded: tokenPoint(org, day, nonce).multiply(r).toBytes(true) }
}

/** The collector's side: signs a device's blinded point for `day`. A point that is not one (identity, off the subgroup, malformed) is refused. */
export function signBlindedStatsToken(secret: Uint8Array, org: string, day: string, blinded: Uint8Array): Result<Uint8Array> {
  checkDay(org, day)
  if (secret.length !== 32) throw new CryptoMisuse('secret must be 32 bytes')
  const b = readG1(blinded)
  if (!b) return fail(CryptoErrorCode.MALFORMED, 'blinded token')
  const k = signingScalar(secret, org, day)
  if (k === undefined) return fail(CryptoErrorCode.BAD_KEY, 'no signing scalar for this day')
  return ok(b.multiply(k).toBytes(true))
}

/**
 * A device's side, last step: unblinds the collector's answer and checks it against the
 * organisation's published key for that day. Fails closed (BAD_SIGNATURE) when the collector
 * signed with any other key.
 */
export function unblindStatsToken(publicKey: Uint8Array, org: string, blinded: BlindedToken, answer: Uint8Array): Result<StatsToken> {
  const dayKey = statsDayPublicKey(publicKey, org, blinded.day)
  if (!dayKey) return fail(CryptoErrorCode.BAD_KEY)
  const s = readG1(answer)
  if (!s) return fail(CryptoErrorCode.MALFORMED, 'signed token')
  const signature = s.multiply(Fr.inv(blinded.r))
  // e(S, pk + t·G2) = e(H(m), G2)
  const paired = bls12_381.pairing(signature, G2.fromBytes(dayKey))
  if (!bls12_381.fields.Fp12.eql(paired, bls12_381.pairing(tokenPoint(org, blinded.day, blinded.nonce), G2.BASE))) return fail(CryptoErrorCode.BAD_SIGNATURE)
  return ok({ day: blinded.day, nonce: blinded.nonce, signature: signature.toBytes(true) })
}

/** The collector's check of a spent token (its own secret: no pairing). */
export function verifyStatsToken(secret: Uint8Array, org: string, token: StatsToken): boolean {
  checkDay(org, token.day)
  if (secret.length !== 32 || token.nonce.length !== STATS_TOKEN_NONCE_BYTES) return false
  const s = readG1(token.signature)
  if (!s) return false
  const k = signingScalar(secret, org, token.day)
  return k !== undefined && s.equals(tokenPoint(org, token.day, token.nonce).multiply(k))
}

