import { concat, utf8, writeU32 } from './bytes.js'
import { CryptoMisuse } from './errors.js'
import { deriveKey, domainHash, frame } from './hash.js'
import type { EpochKey, SignPublicKey } from './keys.js'
import { createSigner, signKeyPairFromSeed, signKeyPairFromSeedAsync, verifySignature, type Signer } from './sign.js'

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
  const pair = signKeyPairFromSeed(seed)
  seed.fill(0)
  return { publicKey: pair.publicKey, signer: createSigner(pair.secretKey) }
}

/**
 * [K1] The same capability as `deriveCapability`, its key pair derived by WebCrypto where it has
 * Ed25519 ([C3]): a device joining its conversations as it connects derives one per conversation,
 * ~5 ms each in tweetnacl (a hundred milliseconds before a twenty-conversation catch-up began).
 */
export function deriveCapabilityAsync(epochKey: EpochKey, conv: Uint8Array, epoch: number): Promise<Capability> {
  return capabilityOfSeed(deriveKey(epochKey, 'fieldchat/v1/capability', concat(conv, u32(epoch))))
}

/** The capability whose Ed25519 key pair `seed` derives (WebCrypto where it can); the seed is wiped. */
async function capabilityOfSeed(seed: Uint8Array): Promise<Capability> {
  try {
    const pair = await signKeyPairFromSeedAsync(seed)
    return { publicKey: pair.publicKey, signer: createSigner(pair.secretKey) }
  } finally {
    seed.fill(0)
  }
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
  const pair = signKeyPairFromSeed(seed)
  seed.fill(0)
  return { publicKey: pair.publicKey, signer: createSigner(pair.secretKey) }
}

/** [K4] `deriveAdminCapability` through WebCrypto where it has Ed25519 ([C3]), as `deriveCapabilityAsync`. */
export function deriveAdminCapabilityAsync(adminSecret: Uint8Array, conv: Uint8Array): Promise<Capability> {
  return capabilityOfSeed(deriveKey(adminSecret, 'fieldchat/v1/admin-capability', conv))
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

const DOMAIN_BLOB = 'fieldchat/v1/blob/request'

/** Whose capability signs a blob request ([K9]): the conversation's (access) or the organisation's (quota space). */
export type BlobProofRole = 'access' | 'space'

/**
 * [K9] A blob request (protocol/SPEC.md [B3]) signed with a capability: the role, the HTTP method,
 * the request target (path and query, exactly as sent), the conversation (or space) and epoch the
 * capability belongs to, and the client's clock in ms. No challenge round trip: the server accepts
 * a time within its window, so a captured request replays at most within that window and only to
 * the same target.
 */
export function blobRequestBytes(role: BlobProofRole, method: string, target: string, conv: Uint8Array, epoch: number, time: number): Uint8Array {
  if (role !== 'access' && role !== 'space') throw new CryptoMisuse('a blob proof role is access or space')
  if (!Number.isSafeInteger(time) || time < 0) throw new CryptoMisuse('a blob request time is a non-negative safe integer (ms)')
  const t = new Uint8Array(8)
  new DataView(t.buffer).setBigUint64(0, BigInt(time), false)
  return frame(DOMAIN_BLOB, [utf8.encode(role), utf8.encode(method), utf8.encode(target), conv, u32(epoch), t])
}

export function signBlobRequest(cap: Capability, role: BlobProofRole, method: string, target: string, conv: Uint8Array, epoch: number, time: number): Promise<Uint8Array> {
  return cap.signer.sign(blobRequestBytes(role, method, target, conv, epoch, time))
}

export function verifyBlobRequest(proof: Uint8Array, role: BlobProofRole, method: string, target: string, conv: Uint8Array, epoch: number, time: number, capPublic: Uint8Array): Promise<boolean> {
  return verifySignature(blobRequestBytes(role, method, target, conv, epoch, time), proof, capPublic)
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
  const pair = signKeyPairFromSeed(seed)
  seed.fill(0)
  return { publicKey: pair.publicKey, signer: createSigner(pair.secretKey) }
}
