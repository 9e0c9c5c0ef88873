import nacl from 'tweetnacl'
import { concat, writeU32 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { frame } from './hash.js'
import { asEpochKey, type BoxPublicKey, type BoxSecretKey, type EpochKey } from './keys.js'
import { randomBytes } from './random.js'
import { openUnder, sealUnder } from './secretBox.js'
import { boxKey, boxKeyOfShared, openBox } from './x25519.js'

/**
 * [L3] Sealing one epoch key to many devices (a rotation). One fresh ephemeral X25519 key per
 * rotation; for recipient i, `nacl.box(key, nonce_i, recipient_i, ephemeralSecret)` with
 * nonce_i = H(domain, context, i)[0..24]. The nonce is deterministic but never repeats under a
 * key: the box key is the X25519 secret of a fresh ephemeral key (one per call) and the
 * recipient, and within one call the index differs ([C5]). A box opened under another context or
 * index fails. 48 bytes per recipient, no per-box
 * signature: the rotation op's one signature covers every box ([T9]). The X25519 shared secrets
 * come from WebCrypto where available (same bytes as tweetnacl's `box.before`, ~5× faster),
 * tweetnacl otherwise; the boxes open with `nacl.box.open`'s bytes through [C1b]'s X25519.
 *
 * [L4] The key chain: the previous epoch's key and number, sealed under a subkey of the new key
 * with a random nonce, behind a version byte.
 */
export interface SealedEpochKey {
  readonly ephemeral: Uint8Array
  readonly boxes: Uint8Array[]
}

const DOMAIN_NONCE = 'fieldchat/v1/epoch-box/nonce'
/** [L4] The chain format's version byte; version 1 (no byte, a nonce derived from the context) is refused. */
export const CHAIN_VERSION = 2
const CHAIN_PURPOSE = 'epoch-box/chain-key'
const CHAIN_BYTES = 1 + 24 + 16 + 36
const CHAIN_V1_BYTES = 16 + 36

export function epochBoxNonce(context: Uint8Array, index: number): Uint8Array {
  return epochBoxNonces(context)(index)
}

/**
 * The [L3] nonces of one context, for many indices: the hash state of the framed domain and
 * context is made once and copied per index (the same bytes as `epochBoxNonce`; a rotation or a
 * trial over a thousand boxes does not frame and hash the prefix a thousand times).
 */
export function epochBoxNonces(context: Uint8Array): (index: number) => Uint8Array {
  const lengths = new Uint8Array(4)
  writeU32(new DataView(lengths.buffer), 0, 4)
  const framed = frame(DOMAIN_NONCE, [context])
  const prefix = sha256.create().update(framed).update(lengths)
  const i = new Uint8Array(4)
  const view = new DataView(i.buffer)
  return (index) => {
    writeU32(view, 0, index)
    return prefix.clone().update(i).digest().subarray(0, 24)
  }
}

export async function sealEpochKey(key: EpochKey, recipients: readonly BoxPublicKey[], context: Uint8Array): Promise<SealedEpochKey> {
  if (key.length !== 32) throw new CryptoMisuse('EpochKey must be 32 bytes')
  const eph = await ephemeralKey()
  const shared = await Promise.all(recipients.map((r) => sharedKey(eph, r)))
  const nonce = epochBoxNonces(context)
  const boxes = shared.map((k, i) => nacl.secretbox(key, nonce(i), k))
  for (const k of shared) k.fill(0)
  eph.secret.fill(0)
  return { ephemeral: eph.public, boxes }
}

export function openEpochKey(sealed: { ephemeral: Uint8Array; box: Uint8Array }, index: number, recipientSecret: BoxSecretKey, context: Uint8Array): Result<EpochKey> {
  if (sealed.ephemeral.length !== 32 || sealed.box.length !== 48) return fail(CryptoErrorCode.MALFORMED)
  const key = openBox(sealed.box, epochBoxNonce(context, index), sealed.ephemeral, recipientSecret)
  return key && key.length === 32 ? ok(asEpochKey(key)) : fail(CryptoErrorCode.DECRYPT_FAILED)
}

/**
 * [L3] Finding this device's box without knowing its index (a device that has not yet got the
 * graph that orders the recipients): one shared secret, then a 48-byte secretbox check per box.
 * Returns the key and the index it was found at.
 */
export function findEpochKey(sealed: { ephemeral: Uint8Array; boxes: readonly Uint8Array[] }, recipientSecret: BoxSecretKey, context: Uint8Array): Result<{ key: EpochKey; index: number }> {
  if (sealed.ephemeral.length !== 32) return fail(CryptoErrorCode.MALFORMED)
  const shared = boxKey(sealed.ephemeral, recipientSecret)
  if (!shared) return fail(CryptoErrorCode.DECRYPT_FAILED)
  const nonce = epochBoxNonces(context)
  try {
    for (let i = 0; i < sealed.boxes.length; i++) {
      const box = sealed.boxes[i]!
      if (box.length !== 48) continue
      const key = nacl.secretbox.open(box, nonce(i), shared)
      if (key && key.length === 32) return ok({ key: asEpochKey(key), index: i })
    }
    return fail(CryptoErrorCode.DECRYPT_FAILED)
  } finally {
    shared.fill(0)
  }
}

/**
 * [L4] `u8(2) ‖ nonce(24) ‖ secretbox(u32be(epoch) ‖ key)` under HKDF(new key, context): a random
 * nonce, because one key seals several chains under one context (a rotation's chain and the links
 * a member admin writes under the same current epoch, [T18]). A derived nonce made those share a
 * keystream: XOR of two chains and one known old key gave the other old key ([C5]).
 */
export function sealChain(newKey: EpochKey, previous: { epoch: number; key: EpochKey }, context: Uint8Array): Uint8Array {
  if (newKey.length !== 32 || previous.key.length !== 32) throw new CryptoMisuse('EpochKey must be 32 bytes')
  const e = new Uint8Array(4)
  writeU32(new DataView(e.buffer), 0, previous.epoch)
  return concat(Uint8Array.of(CHAIN_VERSION), sealUnder(newKey, CHAIN_PURPOSE, context, concat(e, previous.key)))
}

/** [L4] Opens a chain; an old (version 1) chain is `C108_UNSUPPORTED_VERSION`, never misread. */
export function openChain(chain: Uint8Array, newKey: EpochKey, context: Uint8Array): Result<{ epoch: number; key: EpochKey }> {
  if (chain.length === CHAIN_V1_BYTES) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, 'chain v1')
  if (chain.length !== CHAIN_BYTES) return fail(CryptoErrorCode.MALFORMED)
  if (chain[0] !== CHAIN_VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, `chain v${chain[0]}`)
  const plain = openUnder(newKey, CHAIN_PURPOSE, context, chain.subarray(1))
  if (!plain.ok) return plain
  if (plain.value.length !== 36) return fail(CryptoErrorCode.MALFORMED)
  return ok({ epoch: new DataView(plain.value.buffer, plain.value.byteOffset).getUint32(0, false), key: asEpochKey(plain.value.slice(4)) })
}

interface Ephemeral { public: Uint8Array; secret: Uint8Array; webcrypto?: CryptoKey }

async function ephemeralKey(): Promise<Ephemeral> {
  const subtle = globalThis.crypto?.subtle
  if (subtle) {
    try {
      const pair = (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair
      const pub = new Uint8Array(await subtle.exportKey('raw', pair.publicKey))
      const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey))
      return { public: pub, secret: pkcs8.slice(pkcs8.length - 32), webcrypto: pair.privateKey }
    } catch {
      // no X25519 in this WebCrypto: fall through
    }
  }
  const pair = nacl.box.keyPair()
  return { public: pair.publicKey, secret: pair.secretKey }
}

/** nacl.box.before(recipient, ephemeralSecret): HSalsa20 of the X25519 shared secret. */
async function sharedKey(eph: Ephemeral, recipient: Uint8Array): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle
  if (eph.webcrypto && subtle) {
    try {
      const pub = await subtle.importKey('raw', recipient as Uint8Array<ArrayBuffer>, { name: 'X25519' }, false, [])
      return boxKeyOfShared(new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, eph.webcrypto, 256)))
    } catch {
      // a small-order recipient key makes WebCrypto refuse: [C1b] refuses it the same way below
    }
  }
  // [L3] A small-order recipient key (all-zero shared secret: a box key anyone can compute) gets a
  // box under a fresh random key, discarded: it opens for nobody, and the rotation still goes out.
  return boxKey(recipient, eph.secret) ?? randomBytes(32)
}
