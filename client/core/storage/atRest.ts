import * as z from 'zod'
import {
  PASSPHRASE_KDF,
  deriveStorageKeys,
  generateStorageMaster,
  kekOf,
  openMaster,
  openStored,
  randomBytes,
  sealMaster,
  sealStored,
  stretchPassphrase,
  utf8,
  type StorageKeys,
  type UnlockerKind,
} from '../../../crypto/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { EncryptedStore } from './encryptedStore.js'
import type { LocalStore, WriteOp } from './LocalStore.js'
import { decodeRecord, encodeRecord } from './records.js'

/**
 * [M28][M29] What opens a store encrypted at rest:
 * - `key`: 32 bytes the caller keeps (the CLI's key file, given by flag or environment);
 * - `device`: the browser's non-extractable AES-GCM key (kept in IndexedDB, never its bytes);
 * - `passphrase`: stretched with Argon2id (crypto [R4]) with the salt and parameters the store records;
 * - `passkey`: the output of a passkey's PRF for the input the store records (crypto [R6]);
 *   `credential` and `salt` are needed only when setting it up;
 * - `webcrypto`: the non-extractable master of a store from before app locks (format 1, browser).
 * `key` and `device` are the device's own key: a store they open is not locked ([M29]).
 */
export type AtRestSecret =
  | { readonly kind: 'key'; readonly master: Uint8Array }
  | { readonly kind: 'device'; readonly key: CryptoKey }
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'passkey'; readonly prf: Uint8Array; readonly credential?: Uint8Array; readonly salt?: Uint8Array }
  | { readonly kind: 'webcrypto'; readonly master: CryptoKey }

/** The clear record that says how a store is keyed; its presence means the store is encrypted. */
export const AT_REST_META = ['meta', 'at-rest']
const META = AT_REST_META
const CHECK_SLOT = 'meta\u0000at-rest-check'
const CHECK = utf8.encode('fieldchat/v1/at-rest/check')
const bytes = (n?: number) => z.instanceof(Uint8Array).refine((b) => (n === undefined ? b.length > 0 && b.length <= 1024 : b.length === n))
const kdfSchema = z.object({ alg: z.literal('argon2id'), salt: bytes(16), t: z.number().int().min(1).max(10), m: z.number().int().min(8).max(1_048_576), p: z.number().int().min(1).max(4) })
const v1Schema = z.object({ v: z.literal(1), check: z.instanceof(Uint8Array), kdf: kdfSchema.optional() })
const unlockerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('key'), sealed: bytes() }),
  z.object({ kind: z.literal('passphrase'), kdf: kdfSchema, sealed: bytes() }),
  z.object({ kind: z.literal('passkey'), credential: bytes(), salt: bytes(32), sealed: bytes() }),
])
/** An unlocker entry as stored (byte arrays of any backing buffer). */
type Unlocker =
  | { kind: 'key'; sealed: Uint8Array }
  | { kind: 'passphrase'; kdf: { alg: 'argon2id'; salt: Uint8Array; t: number; m: number; p: number }; sealed: Uint8Array }
  | { kind: 'passkey'; credential: Uint8Array; salt: Uint8Array; sealed: Uint8Array }
const v2Schema = z.object({ v: z.literal(2), check: z.instanceof(Uint8Array), unlockers: z.array(unlockerSchema).min(1).max(3) })
const metaSchema = z.union([v1Schema, v2Schema])
type Meta = z.infer<typeof metaSchema>

/** [M29] How a store is keyed, read without any secret (the app's lock screen asks for what it needs). */
export interface AtRestInfo {
  /** `clear`: not encrypted yet (migrated on first open); 1: before app locks; 2: unlockers. */
  readonly format: 'clear' | 1 | 2
  /** What opens it. */
  readonly unlockers: readonly UnlockerKind[]
  /** Locked: only a secret the person gives opens it (no device key). */
  readonly locked: boolean
  /** The passkey's credential id and PRF salt, for the browser to ask the authenticator. */
  readonly passkey?: { readonly credential: Uint8Array; readonly salt: Uint8Array }
}

async function readMeta(inner: LocalStore): Promise<Meta | undefined> {
  const stored = await inner.get(META)
  if (!stored) return undefined
  const meta = decodeRecord(stored, metaSchema)
  if (!meta) throw new ClientError(ClientErrorCode.RECORD_CORRUPT, 'meta/at-rest')
  return meta
}

export async function atRestInfo(inner: LocalStore): Promise<AtRestInfo> {
  const meta = await readMeta(inner)
  if (!meta) return { format: 'clear', unlockers: [], locked: false }
  if (meta.v === 1) return { format: 1, unlockers: [meta.kdf ? 'passphrase' : 'key'], locked: !!meta.kdf }
  const passkey = meta.unlockers.find((u) => u.kind === 'passkey')
  return {
    format: 2,
    unlockers: meta.unlockers.map((u) => u.kind),
    locked: !meta.unlockers.some((u) => u.kind === 'key'),
    ...(passkey?.kind === 'passkey' ? { passkey: { credential: passkey.credential, salt: passkey.salt } } : {}),
  }
}

const kindOf = (secret: AtRestSecret): UnlockerKind => (secret.kind === 'device' || secret.kind === 'key' || secret.kind === 'webcrypto' ? 'key' : secret.kind)
const NEEDS: Record<UnlockerKind, string> = { key: 'this device\'s key', passphrase: 'its passphrase', passkey: 'its passkey' }

/**
 * [M28][M29] Opens `inner` encrypted at rest. A new store gets a fresh random master, kept only
 * sealed by the secret given (crypto [R6]); a store written before encryption at rest (records in
 * clear, no such record) is encrypted in one atomic write on first open, nothing lost. A wrong
 * key, passphrase or passkey is **M203** and changes nothing.
 */
export async function openAtRest(inner: LocalStore, secret: AtRestSecret): Promise<LocalStore> {
  const meta = await readMeta(inner)
  if (!meta) return create(inner, secret)
  const { keys, master } = await unlock(meta, secret)
  master?.fill(0)
  return new EncryptedStore(inner, keys)
}

/** The storage keys (and, where the format keeps it sealed, the master's bytes) a secret opens. */
async function unlock(meta: Meta, secret: AtRestSecret): Promise<{ keys: StorageKeys; master?: Uint8Array }> {
  let keys: StorageKeys
  let master: Uint8Array | undefined
  if (meta.v === 1) {
    if (!!meta.kdf !== (secret.kind === 'passphrase')) throw new ClientError(ClientErrorCode.STORE_LOCKED, meta.kdf ? 'this store needs its passphrase' : 'this store needs its key, not a passphrase')
    if (secret.kind === 'webcrypto') keys = await deriveStorageKeys(secret.master)
    else if (secret.kind === 'key') keys = await deriveStorageKeys((master = secret.master.slice()))
    else if (secret.kind === 'passphrase') keys = await deriveStorageKeys((master = stretchPassphrase(secret.passphrase, meta.kdf!.salt, meta.kdf!)))
    else throw new ClientError(ClientErrorCode.STORE_LOCKED, 'this store needs its key')
  } else {
    const kind = kindOf(secret)
    const entry = meta.unlockers.find((u) => u.kind === kind)
    if (!entry || secret.kind === 'webcrypto') throw new ClientError(ClientErrorCode.STORE_LOCKED, `this store is opened by ${meta.unlockers.map((u) => NEEDS[u.kind]).join(' or ')}`)
    const opened = await openMaster(await kekFor(secret, entry), kind, entry.sealed)
    if (!opened.ok) throw new ClientError(ClientErrorCode.STORE_LOCKED)
    master = opened.value
    keys = await deriveStorageKeys(master)
  }
  const check = await openStored(keys, CHECK_SLOT, meta.check)
  if (!check.ok) {
    master?.fill(0)
    throw new ClientError(ClientErrorCode.STORE_LOCKED)
  }
  return { keys, ...(master ? { master } : {}) }
}

/** The KEK of a secret for an unlocker entry (its recorded salt and parameters). */
async function kekFor(secret: AtRestSecret, entry: Unlocker): Promise<CryptoKey> {
  switch (secret.kind) {
    case 'device':
      return secret.key
    case 'key':
      return kekOf('key', secret.master)
    case 'passkey':
      return kekOf('passkey', secret.prf)
    case 'passphrase': {
      if (entry.kind !== 'passphrase') throw new ClientError(ClientErrorCode.STORE_LOCKED)
      const stretched = stretchPassphrase(secret.passphrase, entry.kdf.salt, entry.kdf)
      try {
        return await kekOf('passphrase', stretched)
      } finally {
        stretched.fill(0)
      }
    }
    case 'webcrypto':
      throw new ClientError(ClientErrorCode.STORE_LOCKED, 'a store of this format has no such key')
  }
}

/** A new unlocker entry sealing `master` under `secret` (a fresh salt for a passphrase). */
async function entryFor(secret: AtRestSecret, master: Uint8Array): Promise<Unlocker> {
  switch (secret.kind) {
    case 'device':
    case 'key':
      return { kind: 'key', sealed: await sealMaster(await kekFor(secret, { kind: 'key', sealed: new Uint8Array(1) }), 'key', master) }
    case 'passphrase': {
      const entry = { kind: 'passphrase' as const, kdf: { alg: 'argon2id' as const, salt: randomBytes(16), ...PASSPHRASE_KDF }, sealed: new Uint8Array(1) }
      return { ...entry, sealed: await sealMaster(await kekFor(secret, entry), 'passphrase', master) }
    }
    case 'passkey':
      if (!secret.credential || !secret.salt || secret.salt.length !== 32) throw new ClientError(ClientErrorCode.STORE_LOCKED, 'a passkey is set up with its credential and salt')
      return { kind: 'passkey', credential: secret.credential, salt: secret.salt, sealed: await sealMaster(await kekFor(secret, { kind: 'key', sealed: new Uint8Array(1) }), 'passkey', master) }
    case 'webcrypto':
      throw new ClientError(ClientErrorCode.STORE_LOCKED, 'new stores are not keyed by a format-1 master')
  }
}

async function metaRecord(check: Uint8Array, secrets: readonly AtRestSecret[], master: Uint8Array): Promise<Uint8Array> {
  const kinds = secrets.map(kindOf)
  if (!secrets.length || new Set(kinds).size !== kinds.length) throw new ClientError(ClientErrorCode.STORE_LOCKED, 'a store needs one to three unlockers, one of each kind')
  const unlockers = await Promise.all(secrets.map((s) => entryFor(s, master)))
  return encodeRecord({ v: 2, check, unlockers })
}

async function create(inner: LocalStore, secret: AtRestSecret): Promise<LocalStore> {
  const master = generateStorageMaster()
  try {
    const keys = await deriveStorageKeys(master)
    const record = await metaRecord(await sealStored(keys, CHECK_SLOT, CHECK), [secret], master)
    const store = new EncryptedStore(inner, keys)
    const clear = (await inner.range([])).filter((e) => e.key[0] !== META[0] || e.key[1] !== META[1])
    // Migration: the clear records go and their sealed copies come in the same atomic write.
    const sealed = await store.sealed(clear.map((e) => ({ key: e.key, value: e.value })))
    await inner.write([...clear.map((e) => ({ key: e.key, value: undefined })), ...sealed, { key: META, value: record }])
    return store
  } finally {
    master.fill(0)
  }
}

/**
 * [M29] Changes what opens a store: `current` must open it; afterwards exactly `next` does (one of
 * each kind: the device's key, a passphrase, a passkey). The master stays (a new passphrase costs
 * one write) unless `rekey` — then every record is sealed again under a fresh master in the same
 * atomic write, so a master that was kept beside the data (a key file, the browser's device key)
 * no longer opens anything. A format-1 store is always rekeyed (its master has no bytes to seal,
 * or was derived in a way format 2 does not use). Nothing else may use the store meanwhile: the
 * caller closes its engine first and opens the store again after.
 */
export async function changeUnlockers(inner: LocalStore, current: AtRestSecret, next: readonly AtRestSecret[], opts: { rekey?: boolean } = {}): Promise<void> {
  const meta = await readMeta(inner)
  if (!meta) throw new ClientError(ClientErrorCode.STORE_LOCKED, 'this store is not encrypted yet: open it first')
  const opened = await unlock(meta, current)
  if (!opts.rekey && meta.v === 2 && opened.master) {
    try {
      await inner.write([{ key: META, value: await metaRecord(meta.check, next, opened.master) }])
    } finally {
      opened.master.fill(0)
    }
    return
  }
  opened.master?.fill(0)
  const master = generateStorageMaster()
  try {
    const keys = await deriveStorageKeys(master)
    const before = new EncryptedStore(inner, opened.keys)
    const records = (await before.range([])).filter((e) => e.key[0] !== META[0] || e.key[1] !== META[1])
    const slots = (await inner.range([])).filter((e) => e.key[0] !== META[0] || e.key[1] !== META[1])
    const sealed = await new EncryptedStore(inner, keys).sealed(records)
    const ops: WriteOp[] = [...slots.map((e) => ({ key: e.key, value: undefined })), ...sealed, { key: META, value: await metaRecord(await sealStored(keys, CHECK_SLOT, CHECK), next, master) }]
    await inner.write(ops)
  } finally {
    master.fill(0)
  }
}
