import nacl from 'tweetnacl'
import { concat } from './bytes.js'
import { CryptoErrorCode, fail, ok, type Result } from './errors.js'
import { deriveKey } from './hash.js'
import { randomBytes } from './random.js'

/**
 * [L5] A blob under a space's epoch key for one purpose (membership bundles, client/core/team
 * [T13]): the key is first derived (HKDF) for `purpose` and `context`, so the epoch key itself
 * never encrypts two kinds of data; XSalsa20-Poly1305 with a random 24-byte nonce in front.
 */
export function sealUnder(key: Uint8Array, purpose: string, context: Uint8Array, plain: Uint8Array): Uint8Array {
  const sub = deriveKey(key, `fieldchat/v1/${purpose}`, context)
  const nonce = randomBytes(24)
  const out = concat(nonce, nacl.secretbox(plain, nonce, sub))
  sub.fill(0)
  return out
}

export function openUnder(key: Uint8Array, purpose: string, context: Uint8Array, sealed: Uint8Array): Result<Uint8Array> {
  if (sealed.length < 24 + 16) return fail(CryptoErrorCode.MALFORMED)
  const sub = deriveKey(key, `fieldchat/v1/${purpose}`, context)
  const plain = nacl.secretbox.open(sealed.subarray(24), sealed.subarray(0, 24), sub)
  sub.fill(0)
  return plain ? ok(plain) : fail(CryptoErrorCode.DECRYPT_FAILED)
}
