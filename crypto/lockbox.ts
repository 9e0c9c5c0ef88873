import nacl from 'tweetnacl'
import { bytesEqual, concat } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { domainHash, frame } from './hash.js'
import { parseSignPublicKey, type BoxPublicKey, type BoxSecretKey, type SignPublicKey } from './keys.js'
import { randomBytes } from './random.js'
import { verifySignature, type Signer } from './sign.js'
import { openBox } from './x25519.js'

/**
 * [L1] A lockbox seals a secret (an epoch key, an invitation answer) to one device's box key,
 * *whole*: box from a fresh ephemeral X25519 key, so the sender's long-term box key is never used,
 * and nothing outside the box names the recipient or the sender. [L2] Inside, the sender's device
 * signs domain ‖ context ‖ recipient ‖ ephemeral ‖ secret, and the plaintext starts with the hash
 * of the context, so a lockbox cannot be moved to another conversation, epoch or recipient. The
 * recipient holds the sender's signature: a lockbox is not deniable.
 *
 * Layout: u8(2) ‖ ephemeral(32) ‖ nonce(24) ‖ box(contextHash(32) ‖ sender(32) ‖ signature(64) ‖ secret).
 */
export const LOCKBOX_VERSION = 2
const DOMAIN_SIGN = 'fieldchat/v1/lockbox/signature'
const DOMAIN_CONTEXT = 'fieldchat/v1/lockbox/context'
const HEAD = 1 + 32 + 24
const INNER = 32 + 32 + 64

export async function sealLockbox(secret: Uint8Array, recipient: BoxPublicKey, context: Uint8Array, signer: Signer): Promise<Uint8Array> {
  if (recipient.length !== 32) throw new CryptoMisuse('recipient must be a 32-byte box key')
  const ephemeral = nacl.box.keyPair()
  // A small-order recipient key gives an all-zero shared secret: anyone could open the box.
  if (nacl.scalarMult(ephemeral.secretKey, recipient).every((b) => b === 0)) throw new CryptoMisuse('recipient box key is of small order')
  const nonce = randomBytes(24)
  const signature = await signer.sign(frame(DOMAIN_SIGN, [context, recipient, ephemeral.publicKey, secret]))
  const ct = nacl.box(concat(domainHash(DOMAIN_CONTEXT, context), signer.publicKey, signature, secret), nonce, recipient, ephemeral.secretKey)
  ephemeral.secretKey.fill(0)
  return concat(Uint8Array.of(LOCKBOX_VERSION), ephemeral.publicKey, nonce, ct)
}

export interface OpenedLockbox {
  readonly secret: Uint8Array
  readonly sender: SignPublicKey
}

/**
 * Opens a lockbox: the version (`C108`), the length (`C100`), the box's authenticator (a box
 * sealed to another device, or altered, is `C104`; the one ephemeral bit X25519 ignores is caught
 * by the signature), the context (`C102`), the sender's key ([C1], `C107`) and the sender's
 * signature (`C101`); only then is the secret returned.
 */
export async function openLockbox(bytes: Uint8Array, recipientPublic: BoxPublicKey, recipientSecret: BoxSecretKey, context: Uint8Array): Promise<Result<OpenedLockbox>> {
  if (recipientPublic.length !== 32 || recipientSecret.length !== 32) throw new CryptoMisuse('box keys must be 32 bytes')
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return fail(CryptoErrorCode.MALFORMED)
  if (bytes[0] !== LOCKBOX_VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, `lockbox v${bytes[0]}`)
  if (bytes.length < HEAD + 16 + INNER) return fail(CryptoErrorCode.MALFORMED)
  const ephemeral = bytes.subarray(1, 33)
  const plain = openBox(bytes.subarray(HEAD), bytes.subarray(33, HEAD), ephemeral, recipientSecret)
  if (!plain) return fail(CryptoErrorCode.DECRYPT_FAILED)
  if (!bytesEqual(plain.subarray(0, 32), domainHash(DOMAIN_CONTEXT, context))) return fail(CryptoErrorCode.WRONG_CONTEXT)
  const sender = parseSignPublicKey(plain.slice(32, 64))
  if (!sender) return fail(CryptoErrorCode.BAD_KEY)
  const secret = plain.slice(INNER)
  if (!(await verifySignature(frame(DOMAIN_SIGN, [context, recipientPublic, ephemeral, secret]), plain.subarray(64, INNER), sender))) {
    return fail(CryptoErrorCode.BAD_SIGNATURE)
  }
  plain.fill(0)
  return ok({ secret, sender })
}
