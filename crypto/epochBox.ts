import nacl from 'tweetnacl'
import { concat, utf8, writeU32 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { domainHash } from './hash.js'
import { asEpochKey, type BoxPublicKey, type BoxSecretKey, type EpochKey } from './keys.js'

/**
 * [L3] Sealing one epoch key to many devices (a rotation). One fresh ephemeral X25519 key per
 * rotation; for recipient i, `nacl.box(key, nonce_i, recipient_i, ephemeralSecret)` with
 * nonce_i = H(domain, context, i)[0..24], so each (ephemeral, recipient) pair has its own nonce
 * and a box opened under another context or index fails. 48 bytes per recipient, no per-box
 * signature: the rotation op's one signature covers every box ([T9]). The X25519 shared secrets
 * come from WebCrypto where available (same bytes as tweetnacl's `box.before`, ~5× faster),
 * tweetnacl otherwise; the boxes open with plain `nacl.box.open`.
 *
 * [L4] The key chain: the previous epoch's key and number, in a secretbox under the new key.
 */
export interface SealedEpochKey {
  readonly ephemeral: Uint8Array
  readonly boxes: Uint8Array[]
}

const DOMAIN_NONCE = 'fieldchat/v1/epoch-box/nonce'
const DOMAIN_CHAIN = 'fieldchat/v1/epoch-box/chain'
const SIGMA = utf8.encode('expand 32-byte k')
const ZERO16 = new Uint8Array(16)
/** tweetnacl's own HSalsa20 core (the step of `box.before` after X25519); its typings omit `lowlevel`. */
const hsalsa20 = (nacl as unknown as { lowlevel: { crypto_core_hsalsa20(o: Uint8Array, i: Uint8Array, k: Uint8Array, c: Uint8Array): void } }).lowlevel
  .crypto_core_hsalsa20

export function epochBoxNonce(context: Uint8Array, index: number): Uint8Array {
  const i = new Uint8Array(4)
  writeU32(new DataView(i.buffer), 0, index)
  return domainHash(DOMAIN_NONCE, context, i).subarray(0, 24)
}

export async function sealEpochKey(key: EpochKey, recipients: readonly BoxPublicKey[], context: Uint8Array): Promise<SealedEpochKey> {
  if (key.length !== 32) throw new CryptoMisuse('EpochKey must be 32 bytes')
  const eph = await ephemeralKey()
  const shared = await Promise.all(recipients.map((r) => sharedKey(eph, r)))
  const boxes = shared.map((k, i) => nacl.secretbox(key, epochBoxNonce(context, i), k))
  for (const k of shared) k.fill(0)
  eph.secret.fill(0)
  return { ephemeral: eph.public, boxes }
}

export function openEpochKey(sealed: { ephemeral: Uint8Array; box: Uint8Array }, index: number, recipientSecret: BoxSecretKey, context: Uint8Array): Result<EpochKey> {
  if (sealed.ephemeral.length !== 32 || sealed.box.length !== 48) return fail(CryptoErrorCode.MALFORMED)
  const key = nacl.box.open(sealed.box, epochBoxNonce(context, index), sealed.ephemeral, recipientSecret)
  return key && key.length === 32 ? ok(asEpochKey(key)) : fail(CryptoErrorCode.DECRYPT_FAILED)
}

/**
 * [L3] Finding this device's box without knowing its index (a device that has not yet got the
 * graph that orders the recipients): one shared secret, then a 48-byte secretbox check per box.
 * Returns the key and the index it was found at.
 */
export function findEpochKey(sealed: { ephemeral: Uint8Array; boxes: readonly Uint8Array[] }, recipientSecret: BoxSecretKey, context: Uint8Array): Result<{ key: EpochKey; index: number }> {
  if (sealed.ephemeral.length !== 32) return fail(CryptoErrorCode.MALFORMED)
  const shared = nacl.box.before(sealed.ephemeral, recipientSecret)
  try {
    for (let i = 0; i < sealed.boxes.length; i++) {
      const box = sealed.boxes[i]!
      if (box.length !== 48) continue
      const key = nacl.secretbox.open(box, epochBoxNonce(context, i), shared)
      if (key && key.length === 32) return ok({ key: asEpochKey(key), index: i })
    }
    return fail(CryptoErrorCode.DECRYPT_FAILED)
  } finally {
    shared.fill(0)
  }
}

export function sealChain(newKey: EpochKey, previous: { epoch: number; key: EpochKey }, context: Uint8Array): Uint8Array {
  const e = new Uint8Array(4)
  writeU32(new DataView(e.buffer), 0, previous.epoch)
  return nacl.secretbox(concat(e, previous.key), domainHash(DOMAIN_CHAIN, context).subarray(0, 24), newKey)
}

export function openChain(chain: Uint8Array, newKey: EpochKey, context: Uint8Array): Result<{ epoch: number; key: EpochKey }> {
  const plain = nacl.secretbox.open(chain, domainHash(DOMAIN_CHAIN, context).subarray(0, 24), newKey)
  if (!plain || plain.length !== 36) return fail(CryptoErrorCode.DECRYPT_FAILED)
  return ok({ epoch: new DataView(plain.buffer, plain.byteOffset).getUint32(0, false), key: asEpochKey(plain.slice(4)) })
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
      const s = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, eph.webcrypto, 256))
      const k = new Uint8Array(32)
      hsalsa20(k, ZERO16, s, SIGMA)
      s.fill(0)
      return k
    } catch {
      // a small-order recipient key makes WebCrypto refuse: tweetnacl gives the same (useless) box
    }
  }
  return nacl.box.before(recipient, eph.secret)
}
