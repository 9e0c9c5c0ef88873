import { CryptoMisuse } from './errors.js'

declare const brand: unique symbol
type Brand<T, B extends string> = T & { readonly [brand]: B }

/** Ed25519 public key of a device (32 bytes). Checked on construction ([C1]). */
export type SignPublicKey = Brand<Uint8Array, 'SignPublicKey'>
/** Ed25519 secret key in tweetnacl's 64-byte form (seed ‖ public key). */
export type SignSecretKey = Brand<Uint8Array, 'SignSecretKey'>
/** X25519 public key for lockboxes (32 bytes). */
export type BoxPublicKey = Brand<Uint8Array, 'BoxPublicKey'>
/** X25519 secret key (32 bytes). */
export type BoxSecretKey = Brand<Uint8Array, 'BoxSecretKey'>
/** A conversation epoch's symmetric key (secretbox, 32 bytes). */
export type EpochKey = Brand<Uint8Array, 'EpochKey'>
/** A 32-byte domain-separated hash naming an envelope ([E4]). */
export type EnvelopeHash = Brand<Uint8Array, 'EnvelopeHash'>

function exact(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoMisuse(`${what} must be a Uint8Array`)
  if (bytes.length !== length) throw new CryptoMisuse(`${what} must be ${length} bytes, got ${bytes.length}`)
}

/**
 * [C1] Signing public keys are refused at registration when they are a non-canonical encoding
 * (y ≥ p) or one of the eight small-order points: a small-order key lets one signature verify for
 * many messages, and implementations disagree on them, so every device must refuse them alike.
 */
export function isAcceptableSignPublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false
  if (isNonCanonicalY(bytes)) return false
  const y = Uint8Array.from(bytes) // a copy even for a Node Buffer, whose slice() is a view
  y[31]! &= 0x7f
  return !SMALL_ORDER_Y.some((s) => s.every((b, i) => b === y[i]))
}

/** Parse untrusted bytes into a device key; returns undefined when [C1] refuses it. */
export function parseSignPublicKey(bytes: Uint8Array): SignPublicKey | undefined {
  return isAcceptableSignPublicKey(bytes) ? (bytes as SignPublicKey) : undefined
}

/** For keys we generated ourselves or already checked: throws on misuse. */
export function asSignPublicKey(bytes: Uint8Array): SignPublicKey {
  exact(bytes, 32, 'SignPublicKey')
  if (!isAcceptableSignPublicKey(bytes)) throw new CryptoMisuse('SignPublicKey is small-order or non-canonical')
  return bytes as SignPublicKey
}
export function asSignSecretKey(bytes: Uint8Array): SignSecretKey {
  exact(bytes, 64, 'SignSecretKey')
  return bytes as SignSecretKey
}
export function asBoxPublicKey(bytes: Uint8Array): BoxPublicKey {
  exact(bytes, 32, 'BoxPublicKey')
  return bytes as BoxPublicKey
}
export function asBoxSecretKey(bytes: Uint8Array): BoxSecretKey {
  exact(bytes, 32, 'BoxSecretKey')
  return bytes as BoxSecretKey
}
export function asEpochKey(bytes: Uint8Array): EpochKey {
  exact(bytes, 32, 'EpochKey')
  return bytes as EpochKey
}
export function asEnvelopeHash(bytes: Uint8Array): EnvelopeHash {
  exact(bytes, 32, 'EnvelopeHash')
  return bytes as EnvelopeHash
}

function isNonCanonicalY(bytes: Uint8Array): boolean {
  // p = 2^255 - 19: y ≥ p iff the top byte (sign bit cleared) is 0x7f, bytes 1..30 are 0xff and byte 0 ≥ 0xed.
  if ((bytes[31]! & 0x7f) !== 0x7f) return false
  for (let i = 30; i >= 1; i--) if (bytes[i] !== 0xff) return false
  return bytes[0]! >= 0xed
}

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)))
/** y-coordinates (sign bit cleared) of the points of order 1, 2, 4 and 8 on edwards25519. */
const SMALL_ORDER_Y = [
  hex('0100000000000000000000000000000000000000000000000000000000000000'),
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  hex('0000000000000000000000000000000000000000000000000000000000000000'),
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
]

/** [F1] One file's own AES-256-GCM key (32 random bytes): it seals that file and nothing else. */
export type FileKey = Brand<Uint8Array, 'FileKey'>

export function asFileKey(bytes: Uint8Array): FileKey {
  exact(bytes, 32, 'file key')
  return bytes as FileKey
}
