import { argon2id } from '@noble/hashes/argon2.js'
import { concat, toBase64Url, utf8 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { nodeHmac, nodeOpen, nodeSeal } from './atRestNode.js'
import { randomBytes } from './random.js'

export { atRestBackend, useAtRestBackend } from './atRestNode.js'

/**
 * [R1] Keys of a device's local store, encrypted at rest: an AES-256-GCM key for records and an
 * HMAC-SHA-256 key for the parts of record keys that name things (conversation, document and
 * message ids), both derived with HKDF-SHA-256 from one 32-byte master secret under their own
 * info strings, and both non-extractable WebCrypto keys: once derived, no code (and no script
 * injected in the page) can read them back. The master exists in memory only while the keys are
 * derived; where it is kept (wrapped by a passphrase or a passkey, in a key file, or as a
 * non-extractable key in the browser) is the caller's.
 */
export interface StorageKeys {
  readonly aead: CryptoKey
  readonly mac: CryptoKey
}

const INFO_AEAD = utf8.encode('fieldchat/v1/at-rest/record-key')
const INFO_MAC = utf8.encode('fieldchat/v1/at-rest/name-key')
const RECORD_AAD = 'fieldchat/v1/at-rest/record'
/** [R2] The stored record format's version byte. */
export const RECORD_VERSION = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new CryptoMisuse('encryption at rest needs WebCrypto (a secure context)')
  return s
}

const bs = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>

/** A fresh master secret for a new store. */
export function generateStorageMaster(): Uint8Array {
  return randomBytes(32)
}

/**
 * [R1] The storage keys of a master secret: given as bytes (wiped by the caller after), or as a
 * non-extractable HKDF key (the browser keeps that one, never the bytes).
 */
export async function deriveStorageKeys(master: Uint8Array | CryptoKey): Promise<StorageKeys> {
  const s = subtle()
  let base: CryptoKey
  if (master instanceof Uint8Array) {
    if (master.length !== 32) throw new CryptoMisuse('a storage master secret is 32 bytes')
    base = await s.importKey('raw', bs(master), 'HKDF', false, ['deriveKey'])
  } else {
    base = master
  }
  const salt = new Uint8Array(32)
  const [aead, mac] = await Promise.all([
    s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: INFO_AEAD }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
    s.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: INFO_MAC }, base, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']),
  ])
  return { aead, mac }
}

/** [R1] A master secret as a non-extractable HKDF key, for a store whose master never leaves WebCrypto. */
export function importStorageMaster(master: Uint8Array): Promise<CryptoKey> {
  if (master.length !== 32) throw new CryptoMisuse('a storage master secret is 32 bytes')
  return subtle().importKey('raw', bs(master), 'HKDF', false, ['deriveKey'])
}

const AAD_PREFIX = concat(utf8.encode(RECORD_AAD), new Uint8Array([0]))
let aadScratch = new Uint8Array(512)
/**
 * The additional data binding a record to its slot: a record moved to another key does not open.
 * Built in one scratch buffer, so a record read allocates none: node:crypto's `setAAD` consumes it
 * before returning and nothing runs in between; WebCrypto, which may read it later, gets a copy.
 */
function aad(slot: string): Uint8Array<ArrayBuffer> {
  const need = AAD_PREFIX.length + slot.length * 3 // UTF-8 takes at most 3 bytes per UTF-16 unit
  if (aadScratch.length < need) aadScratch = new Uint8Array(need)
  aadScratch.set(AAD_PREFIX)
  return aadScratch.subarray(0, AAD_PREFIX.length + utf8.encodeInto(slot, aadScratch.subarray(AAD_PREFIX.length)).written)
}

/**
 * [R2] A stored record: `u8(1) ‖ nonce(12) ‖ AES-GCM(plaintext)`, with a random nonce (a store
 * writes far fewer than the 2^32 records under one key that random 96-bit nonces allow) and the
 * record's stored key (`slot`) as additional data. In Node through node:crypto on the same key
 * (atRestNode.ts), elsewhere WebCrypto: the same bytes either way.
 */
export async function sealStored(keys: StorageKeys, slot: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const now = sealStoredNow(keys, slot, plaintext)
  if (now) return now
  const nonce = randomBytes(NONCE_BYTES)
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bs(nonce), additionalData: aad(slot).slice() }, keys.aead, bs(plaintext)))
  return concat(Uint8Array.of(RECORD_VERSION), nonce, sealed)
}

/**
 * [R2] `sealStored` where it needs no wait (Node: node:crypto seals on the calling thread, its own
 * fresh nonce each call); undefined where only WebCrypto can, later. A store writing one record
 * per message skips a promise per record.
 */
export function sealStoredNow(keys: StorageKeys, slot: string, plaintext: Uint8Array): Uint8Array | undefined {
  const nonce = randomBytes(NONCE_BYTES)
  return nodeSeal(keys.aead, concat(Uint8Array.of(RECORD_VERSION), nonce), nonce, aad(slot), plaintext)
}

/** [R2] Opens a stored record of `slot`; a damaged, moved or foreign record is a code, never a throw. */
export async function openStored(keys: StorageKeys, slot: string, bytes: Uint8Array): Promise<Result<Uint8Array>> {
  const now = openStoredNow(keys, slot, bytes)
  if (now) return now
  const nonce = bytes.subarray(1, 1 + NONCE_BYTES)
  try {
    const plain = await subtle().decrypt({ name: 'AES-GCM', iv: bs(nonce), additionalData: aad(slot).slice() }, keys.aead, bs(bytes.subarray(1 + NONCE_BYTES)))
    return ok(new Uint8Array(plain))
  } catch {
    return fail(CryptoErrorCode.DECRYPT_FAILED)
  }
}

/**
 * [R2] `openStored` where the answer needs no wait: a malformed record, or any record in Node
 * (node:crypto opens it on the calling thread); undefined where only WebCrypto can open it, later.
 * A store reading thousands of records at once skips a promise per record.
 */
export function openStoredNow(keys: StorageKeys, slot: string, bytes: Uint8Array): Result<Uint8Array> | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1 + NONCE_BYTES + TAG_BYTES) return fail(CryptoErrorCode.MALFORMED)
  if (bytes[0] !== RECORD_VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, `record v${bytes[0]}`)
  const native = nodeOpen(keys.aead, bytes.subarray(1, 1 + NONCE_BYTES), aad(slot), bytes.subarray(1 + NONCE_BYTES))
  if (native === undefined) return undefined
  return native ? ok(native) : fail(CryptoErrorCode.DECRYPT_FAILED)
}

/**
 * [R3] A part of a record key that names something, as stored: base64url of the first 16 bytes
 * of HMAC-SHA-256(name key, part). Deterministic (a prefix of hidden parts still finds its
 * records), unlinkable to the id without the key.
 */
export async function hideKeyPart(keys: StorageKeys, part: string): Promise<string> {
  return hideKeyPartNow(keys, part) ?? toBase64Url(new Uint8Array(await subtle().sign('HMAC', keys.mac, bs(utf8.encode(part)))).subarray(0, 16))
}

/** [R3] `hideKeyPart` where it needs no wait (Node); undefined where only WebCrypto can, later. */
export function hideKeyPartNow(keys: StorageKeys, part: string): string | undefined {
  const mac = nodeHmac(keys.mac, utf8.encode(part))
  return mac && toBase64Url(mac.subarray(0, 16))
}

/** [R4] Argon2id for passphrases: OWASP's minimum (19 MiB, two passes, one lane). */
export const PASSPHRASE_KDF = { t: 2, m: 19_456, p: 1 } as const

/** [R4] A passphrase (NFC) stretched into a 32-byte master secret with Argon2id; the caller wipes it after use. */
export function stretchPassphrase(passphrase: string, salt: Uint8Array, params: { t: number; m: number; p: number } = PASSPHRASE_KDF): Uint8Array {
  if (salt.length !== 16) throw new CryptoMisuse('a passphrase salt is 16 bytes')
  return argon2id(utf8.encode(passphrase.normalize('NFC')), salt, { t: params.t, m: params.m, p: params.p, dkLen: 32 })
}
