import nacl from 'tweetnacl'
import { bytesEqual, concat } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { domainHash, frame } from './hash.js'
import { parseSignPublicKey, type BoxPublicKey, type BoxSecretKey, type SignPublicKey } from './keys.js'
import { randomBytes } from './random.js'
import { verifySignature, type Signer } from './sign.js'

/**
 * [L1] A lockbox seals a secret (an epoch key, an invitation payload) to one device's box key:
 * box from a fresh ephemeral X25519 key, so the sender's long-term box key is never used and
 * the recipient cannot prove who sealed it from the box alone. [L2] The sender's device signs
 * domain ‖ context ‖ recipient ‖ ephemeral ‖ nonce ‖ ct, and the plaintext starts with the hash
 * of the context, so a lockbox cannot be moved to another conversation or epoch.
 *
 * Layout: recipient(32) ‖ ephemeral(32) ‖ nonce(24) ‖ sender(32) ‖ signature(64) ‖ ct.
 */
const DOMAIN_SIGN = 'fieldchat/v1/lockbox/signature'
const DOMAIN_CONTEXT = 'fieldchat/v1/lockbox/context'
const FIXED = 32 + 32 + 24 + 32 + 64

export async function sealLockbox(secret: Uint8Array, recipient: BoxPublicKey, context: Uint8Array, signer: Signer): Promise<Uint8Array> {
  if (recipient.length !== 32) throw new CryptoMisuse('recipient must be a 32-byte box key')
  const ephemeral = nacl.box.keyPair()
  const nonce = randomBytes(24)
  const ct = nacl.box(concat(domainHash(DOMAIN_CONTEXT, context), secret), nonce, recipient, ephemeral.secretKey)
  ephemeral.secretKey.fill(0)
  const signature = await signer.sign(frame(DOMAIN_SIGN, [context, recipient, ephemeral.publicKey, nonce, ct]))
  return concat(recipient, ephemeral.publicKey, nonce, signer.publicKey, signature, ct)
}

export interface OpenedLockbox {
  readonly secret: Uint8Array
  readonly sender: SignPublicKey
}

export async function openLockbox(bytes: Uint8Array, recipientPublic: BoxPublicKey, recipientSecret: BoxSecretKey, context: Uint8Array): Promise<Result<OpenedLockbox>> {
  if (!(bytes instanceof Uint8Array) || bytes.length < FIXED + 16 + 32) return fail(CryptoErrorCode.MALFORMED)
  const recipient = bytes.subarray(0, 32)
  const ephemeral = bytes.subarray(32, 64)
  const nonce = bytes.subarray(64, 88)
  const sender = parseSignPublicKey(bytes.slice(88, 120))
  const signature = bytes.subarray(120, 184)
  const ct = bytes.subarray(FIXED)
  if (!sender) return fail(CryptoErrorCode.BAD_KEY)
  if (!bytesEqual(recipient, recipientPublic)) return fail(CryptoErrorCode.WRONG_CONTEXT, 'sealed to another device')
  if (!(await verifySignature(frame(DOMAIN_SIGN, [context, recipient, ephemeral, nonce, ct]), signature, sender))) {
    return fail(CryptoErrorCode.BAD_SIGNATURE)
  }
  const plain = nacl.box.open(ct, nonce, ephemeral, recipientSecret)
  if (!plain) return fail(CryptoErrorCode.DECRYPT_FAILED)
  if (!bytesEqual(plain.subarray(0, 32), domainHash(DOMAIN_CONTEXT, context))) return fail(CryptoErrorCode.WRONG_CONTEXT)
  return ok({ secret: plain.slice(32), sender })
}
