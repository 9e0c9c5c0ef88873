import nacl from 'tweetnacl'
import { bytesEqual, concat, fromBase64Url } from './bytes.js'
import { CryptoMisuse } from './errors.js'
import { isAcceptableSignPublicKey, type SignPublicKey, type SignSecretKey } from './keys.js'

/**
 * [C3] One Ed25519 verification rule on both paths (WebCrypto and tweetnacl): RFC 8032,
 * cofactorless, S must be canonical (S < L), the public key must pass [C1]. We check S and the
 * key ourselves before calling either implementation so they can never disagree on those cases.
 * WebCrypto is ~50× faster than tweetnacl here; tweetnacl is the fallback where it is missing.
 */

// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
])

export function isCanonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!
    const l = L[i]!
    if (s < l) return true
    if (s > l) return false
  }
  return false // S == L
}

/** The public key of the all-zero seed: a valid point to probe WebCrypto with (pinned in tests/crypto/sign.backends.test.ts). */
export const ZERO_SEED_PUBLIC = Uint8Array.from([
  0x3b, 0x6a, 0x27, 0xbc, 0xce, 0xb6, 0xa4, 0x2d, 0x62, 0xa3, 0xa8, 0xd0, 0x2a, 0x6f, 0x0d, 0x73,
  0x65, 0x32, 0x15, 0x77, 0x1d, 0xe2, 0x43, 0xa6, 0x3a, 0xc0, 0x48, 0xa1, 0x8b, 0x59, 0xda, 0x29,
])

type Subtle = SubtleCrypto
let subtlePromise: Promise<Subtle | undefined> | undefined

/** Probe once whether this platform's WebCrypto does Ed25519 (secure contexts only in browsers). */
function webCrypto(): Promise<Subtle | undefined> {
  subtlePromise ??= (async () => {
    const subtle = globalThis.crypto?.subtle
    if (!subtle || forceFallback) return undefined
    try {
      const key = await subtle.importKey('raw', bs(ZERO_SEED_PUBLIC), { name: 'Ed25519' }, false, ['verify'])
      return key ? subtle : undefined
    } catch {
      return undefined
    }
  })()
  return subtlePromise
}

let forceFallback = false
/** Tests use this to run every signature rule on the tweetnacl path too. */
export function useSignatureBackend(backend: 'auto' | 'tweetnacl'): void {
  forceFallback = backend === 'tweetnacl'
  subtlePromise = undefined
  verifyKeys.clear()
}
export async function signatureBackend(): Promise<'webcrypto' | 'tweetnacl'> {
  return (await webCrypto()) ? 'webcrypto' : 'tweetnacl'
}

const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])

const PKCS8_X25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
])

/**
 * [C1a] An X25519 secret key's public key by WebCrypto where it has X25519 (native), else
 * undefined (the caller uses tweetnacl's). WebCrypto clamps the scalar as tweetnacl does, so
 * both give the same bytes (vector: tests/crypto/sign.backends.test.ts).
 */
export function webCryptoBoxPublicKey(secret: Uint8Array): Promise<Uint8Array | undefined> {
  return secret.length === 32 ? publicFromPkcs8(PKCS8_X25519_PREFIX, secret, 'X25519', ['deriveBits']) : Promise.resolve(undefined)
}

/** A 32-byte secret's public key by WebCrypto (imported as PKCS#8, its JWK `x`); undefined where WebCrypto cannot. */
async function publicFromPkcs8(prefix: Uint8Array, secret: Uint8Array, name: 'Ed25519' | 'X25519', usages: KeyUsage[]): Promise<Uint8Array | undefined> {
  const subtle = await webCrypto()
  if (!subtle) return undefined
  try {
    const key = await subtle.importKey('pkcs8', bs(concat(prefix, secret)), { name }, true, usages)
    const x = (await subtle.exportKey('jwk', key)).x
    const pub = typeof x === 'string' ? fromBase64Url(x) : undefined
    return pub?.length === 32 ? pub : undefined
  } catch {
    return undefined
  }
}

/** A signing capability over one secret key; caches the imported WebCrypto key. */
export interface Signer {
  readonly publicKey: SignPublicKey
  sign(message: Uint8Array): Promise<Uint8Array>
}

/**
 * Secret keys whose public half is known to be their seed's: made here from a seed, or checked
 * once by a signer. A device's key is used by several signers (engine, presence, spaces, chains):
 * each would otherwise derive its public key again (one tweetnacl base-point multiplication,
 * about 5 ms, before its first signature).
 */
const consistent = new WeakSet<Uint8Array>()

/** An Ed25519 key pair from a 32-byte seed: its public half is the seed's by construction. */
export function signKeyPairFromSeed(seed: Uint8Array): { readonly publicKey: SignPublicKey; readonly secretKey: SignSecretKey } {
  if (seed.length !== 32) throw new CryptoMisuse('an Ed25519 seed must be 32 bytes')
  const pair = nacl.sign.keyPair.fromSeed(seed)
  consistent.add(pair.secretKey)
  return { publicKey: pair.publicKey as SignPublicKey, secretKey: pair.secretKey as SignSecretKey }
}

/**
 * [C3] The same key pair as `signKeyPairFromSeed`, derived by WebCrypto where it has Ed25519
 * (well under a millisecond, against ~5–15 ms for tweetnacl's base-point multiplication at every
 * start: the mailbox key, [K7]); tweetnacl's elsewhere. Consistent by construction either way.
 */
export async function signKeyPairFromSeedAsync(seed: Uint8Array): Promise<{ readonly publicKey: SignPublicKey; readonly secretKey: SignSecretKey }> {
  if (seed.length !== 32) throw new CryptoMisuse('an Ed25519 seed must be 32 bytes')
  const pub = await webCryptoPublicKey(seed)
  if (!pub) return signKeyPairFromSeed(seed)
  const secretKey = concat(seed, pub) as SignSecretKey
  consistent.add(secretKey)
  return { publicKey: pub as SignPublicKey, secretKey }
}

/**
 * [C3] A stored 64-byte Ed25519 secret key (seed ‖ public half), checked: its public half must be
 * the one its seed derives, else undefined (storage is a trust boundary). The derivation is
 * WebCrypto's where it has Ed25519 (native, well under a millisecond), else tweetnacl's (~5 ms).
 */
export async function restoreSignKeyPair(secret: Uint8Array): Promise<{ readonly publicKey: SignPublicKey; readonly secretKey: SignSecretKey } | undefined> {
  if (secret.length !== 64) return undefined
  const seed = secret.subarray(0, 32)
  const derived = (await webCryptoPublicKey(seed)) ?? nacl.sign.keyPair.fromSeed(seed).publicKey
  if (!bytesEqual(derived, secret.subarray(32))) return undefined
  const secretKey = secret.slice() as SignSecretKey
  consistent.add(secretKey)
  return { publicKey: secretKey.slice(32) as SignPublicKey, secretKey }
}

function webCryptoPublicKey(seed: Uint8Array): Promise<Uint8Array | undefined> {
  return publicFromPkcs8(PKCS8_ED25519_PREFIX, seed, 'Ed25519', ['sign'])
}

export function createSigner(secretKey: SignSecretKey): Signer {
  if (secretKey.length !== 64) throw new CryptoMisuse('SignSecretKey must be 64 bytes')
  const publicKey = secretKey.slice(32) as SignPublicKey
  let imported: Promise<CryptoKey | undefined> | undefined
  let checked = consistent.has(secretKey)
  return {
    publicKey,
    async sign(message) {
      // [C3] The public half must be the seed's: tweetnacl signs with the half it is given, WebCrypto
      // with the seed's, and one message signed under two public keys for one seed gives the seed
      // away. Checked once, before the first signature.
      if (!checked) {
        if (!bytesEqual(nacl.sign.keyPair.fromSeed(secretKey.subarray(0, 32)).publicKey, publicKey)) {
          throw new CryptoMisuse('SignSecretKey: the public half is not the seed\'s')
        }
        consistent.add(secretKey)
        checked = true
      }
      imported ??= webCrypto().then((subtle) =>
        subtle?.importKey('pkcs8', bs(concat(PKCS8_ED25519_PREFIX, secretKey.subarray(0, 32))), { name: 'Ed25519' }, false, ['sign']),
      )
      const key = await imported
      const subtle = await webCrypto()
      if (key && subtle) return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, bs(message)))
      return nacl.sign.detached(message, secretKey)
    },
  }
}

const verifyKeys = new Map<string, Promise<CryptoKey>>()
const MAX_CACHED_KEYS = 4096

/**
 * [C3] Returns false for any forged, malformed or non-canonical input; never throws on input.
 * `once`: a key checked once and not again soon (a device proving itself as it connects): its
 * imported form is not cached, so 10,000 connections do not fill the cache with 20,000 keys
 * (each holds native memory) that chain keys and capabilities are checked under again and again.
 */
export async function verifySignature(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array, once = false): Promise<boolean> {
  if (signature.length !== 64 || !isCanonicalS(signature)) return false
  if (!isAcceptableSignPublicKey(publicKey)) return false
  const subtle = await webCrypto()
  if (!subtle) return nacl.sign.detached.verify(message, signature, publicKey)
  try {
    if (once) return await subtle.verify({ name: 'Ed25519' }, await subtle.importKey('raw', bs(publicKey), { name: 'Ed25519' }, false, ['verify']), bs(signature), bs(message))
    const id = String.fromCharCode(...publicKey)
    let key = verifyKeys.get(id)
    if (!key) {
      if (verifyKeys.size >= MAX_CACHED_KEYS) verifyKeys.clear()
      key = subtle.importKey('raw', bs(publicKey), { name: 'Ed25519' }, false, ['verify'])
      verifyKeys.set(id, key)
    }
    return await subtle.verify({ name: 'Ed25519' }, await key, bs(signature), bs(message))
  } catch {
    return false
  }
}

/** The DOM typings want ArrayBuffer-backed views; ours always are (never SharedArrayBuffer). */
const bs = (bytes: Uint8Array): BufferSource => bytes as Uint8Array<ArrayBuffer>
