import nacl from 'tweetnacl'
import { bytesEqual, concat } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { domainHash } from './hash.js'
import { randomBytes } from './random.js'
import { openBox } from './x25519.js'

/**
 * [X4] An anonymous seal (a usage report, client/core [Q4]): box from a fresh ephemeral X25519
 * key to the collector's box key, with the hash of the context first inside, and no sender: what
 * authenticates a report is the token in it ([X3]), which does not name its device.
 * Layout: u8(1) ‖ ephemeral(32) ‖ nonce(24) ‖ box(contextHash(32) ‖ plain).
 */
const ANON_VERSION = 1
const DOMAIN_ANON = 'fieldchat/v1/stats/anonymous-seal'

export function sealAnonymous(plain: Uint8Array, recipient: Uint8Array, context: Uint8Array): Uint8Array {
  if (recipient.length !== 32) throw new CryptoMisuse('recipient must be a 32-byte box key')
  const ephemeral = nacl.box.keyPair()
  if (nacl.scalarMult(ephemeral.secretKey, recipient).every((b) => b === 0)) throw new CryptoMisuse('recipient box key is of small order')
  const nonce = randomBytes(24)
  const ct = nacl.box(concat(domainHash(DOMAIN_ANON, context), plain), nonce, recipient, ephemeral.secretKey)
  ephemeral.secretKey.fill(0)
  return concat(Uint8Array.of(ANON_VERSION), ephemeral.publicKey, nonce, ct)
}

export function openAnonymous(sealed: Uint8Array, recipientSecret: Uint8Array, context: Uint8Array): Result<Uint8Array> {
  if (recipientSecret.length !== 32) throw new CryptoMisuse('secret must be a 32-byte box key')
  if (sealed.length < 1 + 32 + 24 + 16 + 32) return fail(CryptoErrorCode.MALFORMED)
  if (sealed[0] !== ANON_VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION)
  const opened = openBox(sealed.subarray(57), sealed.subarray(33, 57), sealed.subarray(1, 33), recipientSecret)
  if (!opened) return fail(CryptoErrorCode.DECRYPT_FAILED)
  if (!bytesEqual(opened.subarray(0, 32), domainHash(DOMAIN_ANON, context))) return fail(CryptoErrorCode.WRONG_CONTEXT)
  return ok(opened.slice(32))
}
