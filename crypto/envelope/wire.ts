import { concat } from '../bytes.js'
import { HEADER_BYTES, NONCE_BYTES, SIGNATURE_BYTES, decodeHeader, type EnvelopeHeader } from './header.js'
import { domainHash, frame } from '../hash.js'
import type { EnvelopeHash } from '../keys.js'
import { MIN_BUCKET } from './padding.js'

/** secretbox adds a 16-byte Poly1305 tag; the smallest padded plaintext is one bucket ([E5]). */
export const MIN_CIPHERTEXT_BYTES = 16 + MIN_BUCKET

/** [E2] Envelope bytes: header ‖ nonce ‖ signature ‖ ciphertext. */
export interface EnvelopeParts {
  readonly header: EnvelopeHeader
  readonly headerBytes: Uint8Array
  readonly nonce: Uint8Array
  readonly signature: Uint8Array
  readonly ciphertext: Uint8Array
}

export function joinEnvelope(headerBytes: Uint8Array, nonce: Uint8Array, signature: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return concat(headerBytes, nonce, signature, ciphertext)
}

/** Split untrusted bytes; undefined when the layout or header is malformed. Views, no copies. */
export function splitEnvelope(bytes: Uint8Array): EnvelopeParts | undefined {
  const fixed = HEADER_BYTES + NONCE_BYTES + SIGNATURE_BYTES
  if (!(bytes instanceof Uint8Array) || bytes.length < fixed + MIN_CIPHERTEXT_BYTES) return undefined
  const headerBytes = bytes.subarray(0, HEADER_BYTES)
  const header = decodeHeader(headerBytes)
  if (!header) return undefined
  return {
    header,
    headerBytes,
    nonce: bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES),
    signature: bytes.subarray(HEADER_BYTES + NONCE_BYTES, fixed),
    ciphertext: bytes.subarray(fixed),
  }
}

export const DOMAIN_SIGNATURE = 'fieldchat/v1/envelope/signature'
export const DOMAIN_ENVELOPE_HASH = 'fieldchat/v1/envelope/hash'
export const DOMAIN_HEADER_HASH = 'fieldchat/v1/envelope/header'

/** [E3] What the device signs: domain ‖ header ‖ nonce ‖ ciphertext (length-prefixed). */
export function signedBytes(headerBytes: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return frame(DOMAIN_SIGNATURE, [headerBytes, nonce, ciphertext])
}

/**
 * [E4] The envelope hash names an envelope and links the device chain (`prev`). It covers the
 * signed bytes but not the signature, so a re-encoded (malleated) signature cannot change it.
 */
export function envelopeHash(headerBytes: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): EnvelopeHash {
  return domainHash(DOMAIN_ENVELOPE_HASH, headerBytes, nonce, ciphertext) as EnvelopeHash
}

export function hashOfEnvelope(parts: EnvelopeParts): EnvelopeHash {
  return envelopeHash(parts.headerBytes, parts.nonce, parts.ciphertext)
}
