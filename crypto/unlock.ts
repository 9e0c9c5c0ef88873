import { concat, utf8 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { domainHash } from './hash.js'
import { randomBytes } from './random.js'

/**
 * [R6] Unlocking a store's master. A store's 32-byte master ([R1]) is kept only *sealed* by one or
 * more unlockers, each a key-encryption key (KEK): the device's own key (a key file, or the
 * browser's non-extractable AES-GCM key: no lock), or a secret the person gives — a passphrase
 * (Argon2id, [R4]) or a passkey's PRF output (WebAuthn `prf`, the authenticator's hmac-secret).
 * A KEK from bytes is HKDF-SHA-256 with an info string naming the unlocker's kind; the master is
 * sealed with AES-256-GCM under a fresh random nonce with the kind as additional data, so a sealed
 * master moved to another kind's entry does not open.
 */
export type UnlockerKind = 'key' | 'passphrase' | 'passkey'

const INFO = (kind: UnlockerKind) => utf8.encode(`fieldchat/v1/at-rest/kek/${kind}`)
const AAD = (kind: UnlockerKind) => utf8.encode(`fieldchat/v1/at-rest/sealed-master/${kind}`)
const NONCE_BYTES = 12
const SEALED_BYTES = 1 + NONCE_BYTES + 32 + 16
const VERSION = 1

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new CryptoMisuse('unlocking a store needs WebCrypto (a secure context)')
  return s
}

const bs = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>

/** [R6] The KEK of a secret given as bytes (a key file, an Argon2id output, a PRF output): non-extractable. */
export async function kekOf(kind: UnlockerKind, secret: Uint8Array): Promise<CryptoKey> {
  if (secret.length < 32) throw new CryptoMisuse('an unlocking secret is at least 32 bytes')
  const base = await subtle().importKey('raw', bs(secret), 'HKDF', false, ['deriveKey'])
  return subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: INFO(kind) }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
}

/** [R6] A device key kept as a non-extractable AES-GCM key (the browser's, in IndexedDB). */
export function generateDeviceKek(): Promise<CryptoKey> {
  return subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) as Promise<CryptoKey>
}

/** [R6] `u8(1) ‖ nonce(12) ‖ AES-GCM(master)`, the kind as additional data. */
export async function sealMaster(kek: CryptoKey, kind: UnlockerKind, master: Uint8Array): Promise<Uint8Array> {
  if (master.length !== 32) throw new CryptoMisuse('a storage master secret is 32 bytes')
  const nonce = randomBytes(NONCE_BYTES)
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bs(nonce), additionalData: bs(AAD(kind)) }, kek, bs(master)))
  return concat(Uint8Array.of(VERSION), nonce, sealed)
}

/** [R6] The master a KEK opens; a wrong KEK, another kind's entry or a damaged one is a code. */
export async function openMaster(kek: CryptoKey, kind: UnlockerKind, sealed: Uint8Array): Promise<Result<Uint8Array>> {
  if (!(sealed instanceof Uint8Array) || sealed.length !== SEALED_BYTES) return fail(CryptoErrorCode.MALFORMED)
  if (sealed[0] !== VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, `sealed master v${sealed[0]}`)
  try {
    const plain = await subtle().decrypt({ name: 'AES-GCM', iv: bs(sealed.subarray(1, 1 + NONCE_BYTES)), additionalData: bs(AAD(kind)) }, kek, bs(sealed.subarray(1 + NONCE_BYTES)))
    return ok(new Uint8Array(plain))
  } catch {
    return fail(CryptoErrorCode.DECRYPT_FAILED)
  }
}

/**
 * [R6] The input a store asks a passkey's PRF to evaluate: a hash of a random per-store salt under
 * its own domain, so the PRF output (and the KEK from it) is this store's alone, and the same
 * passkey used by any other site or purpose yields something unrelated (WebAuthn also prefixes
 * its own context before the authenticator's HMAC).
 */
export function passkeyPrfInput(salt: Uint8Array): Uint8Array {
  if (salt.length !== 32) throw new CryptoMisuse('a passkey salt is 32 bytes')
  return domainHash('fieldchat/v1/at-rest/passkey-prf', salt)
}
