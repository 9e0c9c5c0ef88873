import { sha512 } from '@noble/hashes/sha2.js'
import { bytesEqual, concat, fromBase64Url, utf8 } from './bytes.js'
import { CryptoMisuse } from './errors.js'
import { frame } from './hash.js'

/**
 * [V1] Safety numbers and verification codes: what two people compare (aloud, or by scanning a QR
 * code) to confirm that no device key of either was swapped by the server.
 */

export const DOMAIN_SAFETY_NUMBER = 'fieldchat/v1/safety-number'
/** Version of the fingerprint construction; hashed in, so a new construction never collides with this one. */
export const SAFETY_NUMBER_VERSION = 1
/** Signal's count: about 2^12 more work per guess for an attacker grinding device keys. */
export const SAFETY_NUMBER_ITERATIONS = 5200
/** Bytes of the fingerprint kept: 6 chunks of 5 bytes, each shown as 5 digits. */
export const FINGERPRINT_BYTES = 30
/** First byte of a verification code: the code's format and the fingerprint construction. */
export const VERIFICATION_CODE_VERSION = 1
export const VERIFICATION_CODE_BYTES = 1 + FINGERPRINT_BYTES

export interface VerifiedParty {
  readonly user: string
  readonly devices: readonly Uint8Array[]
}

export type VerificationVerdict = 'match' | 'mismatch' | 'malformed'

/**
 * [V1] One person's 30-byte fingerprint: iterated SHA-512 over the version, the user id and the
 * set of device Ed25519 public keys (sorted, duplicates dropped, so the order devices were listed
 * in does not matter). Throws CryptoMisuse on an empty user id, no devices or a key that is not 32 bytes.
 */
export function fingerprint(user: string, devices: readonly Uint8Array[]): Uint8Array {
  const keys = deviceSet(user, devices)
  const allKeys = concat(...keys)
  let hash = sha512(frame(DOMAIN_SAFETY_NUMBER, [Uint8Array.of(SAFETY_NUMBER_VERSION), utf8.encode(user), ...keys]))
  // Like Signal, every round rehashes the keys, so no round can be skipped by precomputation.
  for (let i = 1; i < SAFETY_NUMBER_ITERATIONS; i++) hash = sha512(concat(hash, allKeys))
  return hash.slice(0, FINGERPRINT_BYTES)
}

/**
 * [V1] The 60-digit number two people compare, as 12 groups of 5 digits separated by spaces.
 * Each person's 30 digits come from their fingerprint; the two halves are sorted before being
 * joined, so both people see the same number whichever side calls this.
 */
export function safetyNumber(a: VerifiedParty, b: VerifiedParty): string {
  const halves = [digits(fingerprint(a.user, a.devices)), digits(fingerprint(b.user, b.devices))].sort()
  return halves.join('').match(/\d{5}/g)!.join(' ')
}

/** [V1] The bytes a QR code carries to verify one person: version ‖ fingerprint. Nothing secret. */
export function verificationCode(user: string, devices: readonly Uint8Array[]): Uint8Array {
  return concat(Uint8Array.of(VERIFICATION_CODE_VERSION), fingerprint(user, devices))
}

/**
 * [V1] Compare scanned bytes (untrusted) with the code for the keys we hold for `user`.
 * Another length or an unknown version is 'malformed', never a throw; the fingerprint is compared
 * in constant time.
 */
export function compareVerificationCode(scanned: Uint8Array, user: string, devices: readonly Uint8Array[]): VerificationVerdict {
  const expected = verificationCode(user, devices)
  if (!(scanned instanceof Uint8Array) || scanned.length !== VERIFICATION_CODE_BYTES) return 'malformed'
  if (scanned[0] !== VERIFICATION_CODE_VERSION) return 'malformed'
  return bytesEqual(scanned, expected) ? 'match' : 'mismatch'
}

/** [V1] The same comparison for a code pasted as base64url text (clipboard: parsed, never trusted). */
export function compareVerificationText(text: string, user: string, devices: readonly Uint8Array[]): VerificationVerdict {
  const bytes = typeof text === 'string' ? fromBase64Url(text) : undefined
  if (!bytes) {
    verificationCode(user, devices) // misuse on our own side still throws, whatever was pasted
    return 'malformed'
  }
  return compareVerificationCode(bytes, user, devices)
}

/** Thirty decimal digits: each 5-byte chunk as a big-endian 40-bit number mod 100000. */
function digits(fp: Uint8Array): string {
  let out = ''
  for (let i = 0; i < FINGERPRINT_BYTES; i += 5) {
    let n = 0
    for (let j = 0; j < 5; j++) n = n * 256 + fp[i + j]! // < 2^40: exact in a double
    out += String(n % 100000).padStart(5, '0')
  }
  return out
}

function deviceSet(user: string, devices: readonly Uint8Array[]): Uint8Array[] {
  if (typeof user !== 'string' || user.length === 0) throw new CryptoMisuse('safety number: user id must be a non-empty string')
  if (!Array.isArray(devices) || devices.length === 0) throw new CryptoMisuse('safety number: a user needs at least one device key')
  for (const d of devices) {
    if (!(d instanceof Uint8Array) || d.length !== 32) throw new CryptoMisuse('safety number: a device key must be 32 bytes')
  }
  const sorted = devices.map((d) => Uint8Array.from(d)).sort(compareBytes)
  return sorted.filter((d, i) => i === 0 || compareBytes(sorted[i - 1]!, d) !== 0)
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}
