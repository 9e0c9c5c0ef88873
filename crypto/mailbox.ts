import nacl from 'tweetnacl'
import { CryptoMisuse } from './errors.js'
import { deriveKey, frame } from './hash.js'
import { asSignPublicKey, asSignSecretKey, type SignPublicKey, type SignSecretKey } from './keys.js'
import { randomBytes } from './random.js'
import { createSigner, verifySignature, type Signer } from './sign.js'

/**
 * [K7] A device's mailbox address: the public half of an Ed25519 pair derived (HKDF) from the
 * device's signing seed. It is not the device key and cannot be linked to it without the
 * device's secret: the server stores mail under it, and only devices that read the signed
 * directory (or an invitation link) know whose it is. The device proves it in the handshake by
 * signing the connection's challenge with the mailbox key.
 */
export interface MailboxKey {
  readonly address: SignPublicKey
  readonly signer: Signer
}

const DOMAIN_KEY = 'fieldchat/v1/mailbox-key'
const DOMAIN_PROOF = 'fieldchat/v1/auth/mailbox'

export function deriveMailboxKey(signSecret: SignSecretKey): MailboxKey {
  if (signSecret.length !== 64) throw new CryptoMisuse('SignSecretKey must be 64 bytes')
  const seed = deriveKey(signSecret.subarray(0, 32), DOMAIN_KEY, new Uint8Array(0))
  const pair = nacl.sign.keyPair.fromSeed(seed)
  seed.fill(0)
  return { address: asSignPublicKey(pair.publicKey), signer: createSigner(asSignSecretKey(pair.secretKey)) }
}

/** [K7] What the mailbox key signs in the handshake: the challenge and the address. */
export function mailboxProofBytes(challenge: Uint8Array, address: Uint8Array): Uint8Array {
  return frame(DOMAIN_PROOF, [challenge, address])
}

/**
 * [K7] A decoy address: a real Ed25519 public key nobody keeps the secret of, so it cannot be
 * told from a device's address (random bytes would fail to decode as a point half the time).
 */
export function decoyMailboxAddress(): SignPublicKey {
  const pair = nacl.sign.keyPair.fromSeed(randomBytes(32))
  pair.secretKey.fill(0)
  return asSignPublicKey(pair.publicKey)
}

export function verifyMailboxProof(proof: Uint8Array, challenge: Uint8Array, address: Uint8Array): Promise<boolean> {
  return verifySignature(mailboxProofBytes(challenge, address), proof, address)
}
