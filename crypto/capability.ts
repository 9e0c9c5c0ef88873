import nacl from 'tweetnacl'
import { concat, writeU32 } from './bytes.js'
import { CryptoMisuse } from './errors.js'
import { deriveKey, domainHash, frame } from './hash.js'
import { asSignPublicKey, asSignSecretKey, type EpochKey, type SignPublicKey } from './keys.js'
import { createSigner, verifySignature, type Signer } from './sign.js'

/**
 * [K1] Access capability: an Ed25519 key pair derived (HKDF) from a conversation's epoch key,
 * bound to the conversation id and epoch. The server stores only its public half; whoever holds
 * the epoch key can prove access, and a device removed before a rotation cannot derive the next one.
 */
export interface Capability {
  readonly publicKey: SignPublicKey
  readonly signer: Signer
}

export function deriveCapability(epochKey: EpochKey, conv: Uint8Array, epoch: number): Capability {
  const seed = deriveKey(epochKey, 'fieldchat/v1/capability', concat(conv, u32(epoch)))
  const pair = nacl.sign.keyPair.fromSeed(seed)
  seed.fill(0)
  return { publicKey: asSignPublicKey(pair.publicKey), signer: createSigner(asSignSecretKey(pair.secretKey)) }
}

const DOMAIN_PROOF = 'fieldchat/v1/capability/proof'
const DOMAIN_REKEY = 'fieldchat/v1/capability/rekey'
const DOMAIN_AUTH = 'fieldchat/v1/auth/device'

/** [K2] Proof of a capability for one connection: signs the server's per-connection challenge. */
export function capabilityProofBytes(challenge: Uint8Array, conv: Uint8Array, epoch: number): Uint8Array {
  return frame(DOMAIN_PROOF, [challenge, conv, u32(epoch)])
}

/**
 * [K4] Rotating a conversation's capability: the holder of the conversation's *admin* capability
 * (a key only its admins hold, registered with the conversation) signs the new epoch, the new
 * capability and the (possibly new) admin key, over this connection's challenge.
 */
export function rekeyProofBytes(challenge: Uint8Array, conv: Uint8Array, epoch: number, cap: Uint8Array, admin: Uint8Array): Uint8Array {
  return frame(DOMAIN_REKEY, [challenge, conv, u32(epoch), cap, admin])
}

export function verifyRekeyProof(proof: Uint8Array, challenge: Uint8Array, conv: Uint8Array, epoch: number, cap: Uint8Array, admin: Uint8Array, currentAdmin: Uint8Array): Promise<boolean> {
  return verifySignature(rekeyProofBytes(challenge, conv, epoch, cap, admin), proof, currentAdmin)
}

/** An admin capability from a random admin secret (32 bytes), bound to the conversation. */
export function deriveAdminCapability(adminSecret: Uint8Array, conv: Uint8Array): Capability {
  const seed = deriveKey(adminSecret, 'fieldchat/v1/admin-capability', conv)
  const pair = nacl.sign.keyPair.fromSeed(seed)
  seed.fill(0)
  return { publicKey: asSignPublicKey(pair.publicKey), signer: createSigner(asSignSecretKey(pair.secretKey)) }
}

const DOMAIN_ORIGIN = 'fieldchat/v1/conversation/origin'

/**
 * [K6] A conversation's id is bound to the device that created it: the first 16 bytes of a
 * domain hash of that device's signing key and a random 16-byte origin. The server registers a
 * conversation only from a connection authenticated as that device, so no member racing the
 * creator can register its own capability or admin key first.
 */
export function conversationIdOf(creator: Uint8Array, origin: Uint8Array): Uint8Array {
  return domainHash(DOMAIN_ORIGIN, creator, origin).subarray(0, 16)
}

/** [K3] Device authentication in the handshake: the device signs the server's challenge. */
export function deviceAuthBytes(challenge: Uint8Array, device: Uint8Array): Uint8Array {
  return frame(DOMAIN_AUTH, [challenge, device])
}

export function verifyCapabilityProof(proof: Uint8Array, challenge: Uint8Array, conv: Uint8Array, epoch: number, capPublic: Uint8Array): Promise<boolean> {
  return verifySignature(capabilityProofBytes(challenge, conv, epoch), proof, capPublic)
}

export function verifyDeviceAuth(proof: Uint8Array, challenge: Uint8Array, device: Uint8Array): Promise<boolean> {
  return verifySignature(deviceAuthBytes(challenge, device), proof, device, true)
}

function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CryptoMisuse('epoch must be a 32-bit unsigned integer')
  const b = new Uint8Array(4)
  writeU32(new DataView(b.buffer), 0, n)
  return b
}

/**
 * [K5] A one-time invitation key: an Ed25519 pair derived from the link's random secret, bound
 * to the organisation. The organisation's graph holds its public half; whoever holds the link
 * can sign a join request with it, nobody else (not the server) can.
 */
export function deriveInviteKey(secret: Uint8Array, org: Uint8Array): Capability {
  const seed = deriveKey(secret, 'fieldchat/v1/invite-key', org)
  const pair = nacl.sign.keyPair.fromSeed(seed)
  seed.fill(0)
  return { publicKey: asSignPublicKey(pair.publicKey), signer: createSigner(asSignSecretKey(pair.secretKey)) }
}
