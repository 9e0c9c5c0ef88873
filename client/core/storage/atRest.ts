import * as z from 'zod'
import { PASSPHRASE_KDF, deriveStorageKeys, openStored, randomBytes, sealStored, stretchPassphrase, utf8, type StorageKeys } from '../../../crypto/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { EncryptedStore } from './encryptedStore.js'
import type { LocalStore } from './LocalStore.js'
import { decodeRecord, encodeRecord } from './records.js'

/**
 * [M28] Where a store's master secret (crypto [R1]) comes from:
 * - `key`: 32 bytes the caller keeps (the CLI's key file, given by flag or environment);
 * - `passphrase`: stretched with Argon2id (crypto [R4]) with the salt and parameters recorded in
 *   the store, so the same passphrase opens it again;
 * - `webcrypto`: a non-extractable HKDF key (the browser keeps it in IndexedDB, never its bytes).
 */
export type AtRestSecret =
  | { readonly kind: 'key'; readonly master: Uint8Array }
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'webcrypto'; readonly master: CryptoKey }

/** The clear record that says how a store is keyed; its presence means the store is encrypted. */
export const AT_REST_META = ['meta', 'at-rest']
const META = AT_REST_META
const CHECK_SLOT = 'meta\u0000at-rest-check'
const CHECK = utf8.encode('fieldchat/v1/at-rest/check')
const metaSchema = z.object({
  v: z.literal(1),
  check: z.instanceof(Uint8Array),
  kdf: z.object({ alg: z.literal('argon2id'), salt: z.instanceof(Uint8Array).refine((b) => b.length === 16), t: z.number().int().min(1).max(10), m: z.number().int().min(8).max(1_048_576), p: z.number().int().min(1).max(4) }).optional(),
})

/**
 * [M28] Opens `inner` encrypted at rest. A new store records how it is keyed (in clear: a check
 * value sealed under the keys, and the passphrase's salt and parameters); a store written before
 * encryption at rest (records in clear, no such record) is encrypted in one atomic write on first
 * open, nothing lost. A wrong key or passphrase is **M203** and changes nothing.
 */
export async function openAtRest(inner: LocalStore, secret: AtRestSecret): Promise<LocalStore> {
  const stored = await inner.get(META)
  const meta = stored ? decodeRecord(stored, metaSchema) : undefined
  if (stored && !meta) throw new ClientError(ClientErrorCode.RECORD_CORRUPT, 'meta/at-rest')
  if (meta && !!meta.kdf !== (secret.kind === 'passphrase')) throw new ClientError(ClientErrorCode.STORE_LOCKED, meta.kdf ? 'this store needs its passphrase' : 'this store needs its key, not a passphrase')
  const kdf = meta?.kdf ?? (secret.kind === 'passphrase' ? { alg: 'argon2id' as const, salt: randomBytes(16), ...PASSPHRASE_KDF } : undefined)
  const keys = await keysOf(secret, kdf)
  if (meta) {
    const check = await openStored(keys, CHECK_SLOT, meta.check)
    if (!check.ok) throw new ClientError(ClientErrorCode.STORE_LOCKED)
    return new EncryptedStore(inner, keys)
  }
  const store = new EncryptedStore(inner, keys)
  const clear = (await inner.range([])).filter((e) => e.key[0] !== META[0] || e.key[1] !== META[1])
  const record = encodeRecord({ v: 1, check: await sealStored(keys, CHECK_SLOT, CHECK), ...(kdf ? { kdf } : {}) })
  // Migration: the clear records go and their sealed copies come in the same atomic write.
  const sealed = await store.sealed(clear.map((e) => ({ key: e.key, value: e.value })))
  await inner.write([...clear.map((e) => ({ key: e.key, value: undefined })), ...sealed, { key: META, value: record }])
  return store
}

async function keysOf(secret: AtRestSecret, kdf: { salt: Uint8Array; t: number; m: number; p: number } | undefined): Promise<StorageKeys> {
  if (secret.kind === 'webcrypto') return deriveStorageKeys(secret.master)
  if (secret.kind === 'key') return deriveStorageKeys(secret.master)
  const master = stretchPassphrase(secret.passphrase, kdf!.salt, kdf!)
  try {
    return await deriveStorageKeys(master)
  } finally {
    master.fill(0)
  }
}
