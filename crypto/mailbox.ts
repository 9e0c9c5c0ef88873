import { CryptoMisuse } from './errors.js'
import { deriveKey, domainHash, frame } from './hash.js'
import type { SignPublicKey, SignSecretKey } from './keys.js'
import { randomBytes } from './random.js'
import { createSigner, signKeyPairFromSeed, signKeyPairFromSeedAsync, verifySignature, type Signer } from './sign.js'

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

/** Derived once per device key object: identity, engine and invitations each ask for it. */
const derived = new WeakMap<Uint8Array, MailboxKey>()

export function deriveMailboxKey(signSecret: SignSecretKey): MailboxKey {
  const known = derived.get(checked(signSecret))
  if (known) return known
  const seed = mailboxSeed(signSecret)
  try {
    return remember(signSecret, signKeyPairFromSeed(seed))
  } finally {
    seed.fill(0)
  }
}

/** The same key as `deriveMailboxKey`, derived natively where WebCrypto has Ed25519 (at every start). */
export async function deriveMailboxKeyAsync(signSecret: SignSecretKey): Promise<MailboxKey> {
  const known = derived.get(checked(signSecret))
  if (known) return known
  const seed = mailboxSeed(signSecret)
  try {
    return remember(signSecret, await signKeyPairFromSeedAsync(seed))
  } finally {
    seed.fill(0)
  }
}

function checked(signSecret: SignSecretKey): SignSecretKey {
  if (signSecret.length !== 64) throw new CryptoMisuse('SignSecretKey must be 64 bytes')
  return signSecret
}

/** The mailbox key's seed: the key pairs copy it, and the caller zeroes it after. */
function mailboxSeed(signSecret: SignSecretKey): Uint8Array {
  return deriveKey(signSecret.subarray(0, 32), DOMAIN_KEY, new Uint8Array(0))
}

function remember(signSecret: SignSecretKey, pair: { publicKey: SignPublicKey; secretKey: SignSecretKey }): MailboxKey {
  const key = derived.get(signSecret) ?? { address: pair.publicKey, signer: createSigner(pair.secretKey) }
  derived.set(signSecret, key)
  return key
}

/** [K7] What the mailbox key signs in the handshake: the challenge and the address. */
export function mailboxProofBytes(challenge: Uint8Array, address: Uint8Array): Uint8Array {
  return frame(DOMAIN_PROOF, [challenge, address])
}

/**
 * [K8] Where the server stores a mailbox's rows: a domain-separated hash of the address, so the
 * stored `dest` values are uniform 32-byte strings and a decoy ([K8] pools) cannot be told from
 * a real one by decoding it as a curve point. The server computes it from the address it is
 * given (in a post, or proven in the hello); the address itself is never stored.
 */
export function mailDest(address: Uint8Array): Uint8Array {
  if (address.length !== 32) throw new CryptoMisuse('a mailbox address is 32 bytes')
  return domainHash('fieldchat/v1/mail/dest', address)
}

/**
 * [K8] Where the server stores a decoy's row: a hash of the decoy under its own domain, so a
 * "decoy" a client names can never be a real mailbox's destination (that would need a preimage
 * of `mailDest`): decoys cannot fill someone's mailbox or bury their mail.
 */
export function decoyRowDest(decoy: Uint8Array): Uint8Array {
  if (decoy.length !== 32) throw new CryptoMisuse('a decoy is 32 bytes')
  return domainHash('fieldchat/v1/mail/decoy-row', decoy)
}

/** Decoy pool entries a post with `fanout` rows draws from: at least 32, twice the fanout, at most 20,000. */
export function decoyPoolSize(fanout: number): number {
  return Math.min(20_000, Math.max(32, 2 * fanout))
}

/**
 * [K8] An organisation's decoy pool: `dest_i = H('fieldchat/v1/mail/decoy', poolKey, u32be(i))`.
 * Every device of the organisation holds the pool key (from its signed graph), so posts to its
 * spaces draw decoys from the same recurring pool — they recur across stored items as real
 * addresses do — and a recipient that reads an item can hand the key to the server, which then
 * recognises the item's decoy rows and removes them in step with the reads.
 */
export function decoyPool(poolKey: Uint8Array, size: number): Uint8Array[] {
  if (!Number.isInteger(size) || size < 0 || size > 20_000) throw new CryptoMisuse('decoy pool size out of range')
  return Array.from({ length: size }, (_, i) => decoyPoolEntry(poolKey, i))
}

/** [K8] Entry `i` of a decoy pool alone (a poster needs only the entries it draws). */
export function decoyPoolEntry(poolKey: Uint8Array, i: number): Uint8Array {
  if (poolKey.length !== 32) throw new CryptoMisuse('a decoy pool key is 32 bytes')
  if (!Number.isInteger(i) || i < 0 || i >= 20_000) throw new CryptoMisuse('decoy pool index out of range')
  const index = new Uint8Array(4)
  new DataView(index.buffer).setUint32(0, i)
  return domainHash('fieldchat/v1/mail/decoy', poolKey, index)
}

/** [K8] A decoy for a post with no pool (an invitee's answer to an organisation without one): 32 random bytes. */
export function randomDecoy(): Uint8Array {
  return randomBytes(32)
}

export function verifyMailboxProof(proof: Uint8Array, challenge: Uint8Array, address: Uint8Array): Promise<boolean> {
  return verifySignature(mailboxProofBytes(challenge, address), proof, address, true)
}
