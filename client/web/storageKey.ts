import { openDB } from 'idb'
import { generateDeviceKek } from '../../crypto/index.js'
import { atRestInfo, changeUnlockers, openAtRest, type AtRestInfo, type AtRestSecret } from '../core/storage/atRest.js'
import type { LocalStore } from '../core/storage/LocalStore.js'

/**
 * [M28][M29] This browser's keys for its store, in their own IndexedDB database: the device key
 * (a non-extractable AES-GCM key that seals the store's master while no app lock is set) and,
 * from before app locks, a format-1 master (a non-extractable HKDF key), moved away from on the
 * first open. No script can read either key's bytes back, but Chromium writes them into
 * IndexedDB's files (`atRest.e2e.test.ts` lifts them from a copy of the profile): without a lock,
 * a copy of the profile opens the store. With a lock the device key is deleted and the master is
 * sealed only by the person's passphrase or passkey.
 */
const DB = 'fieldchat-keys'
const STORE = 'keys'
const DEVICE = 'device-key'
const LEGACY = 'storage-master'

async function keys<T>(use: (db: Awaited<ReturnType<typeof openDB>>) => Promise<T>): Promise<T> {
  const db = await openDB(DB, 1, { upgrade: (d) => void d.createObjectStore(STORE) })
  try {
    return await use(db)
  } finally {
    db.close()
  }
}

/** The device key, made when missing (a new store, or a lock just removed). */
async function deviceKey(): Promise<CryptoKey> {
  return keys(async (db) => {
    const kept: unknown = await db.get(STORE, DEVICE)
    if (kept instanceof CryptoKey) return kept
    const key = await generateDeviceKek()
    await db.put(STORE, key, DEVICE)
    return key
  })
}

const forget = (name: string) => keys((db) => db.delete(STORE, name))

/** What opening the store found: the store, or a lock and what opens it. */
export type Opened = { readonly kind: 'open'; readonly store: LocalStore } | { readonly kind: 'locked'; readonly info: AtRestInfo }

/**
 * The app's store: opened with the device key when no lock is set (a store in clear is
 * encrypted, a format-1 store moved to format 2 first), or `locked` with what opens it.
 */
export async function openBrowserStore(inner: LocalStore): Promise<Opened> {
  const info = await atRestInfo(inner)
  if (info.format === 1) {
    const legacy = await keys((db) => db.get(STORE, LEGACY) as Promise<unknown>)
    if (legacy instanceof CryptoKey) {
      await changeUnlockers(inner, { kind: 'webcrypto', master: legacy }, [{ kind: 'device', key: await deviceKey() }])
      await forget(LEGACY)
      return openBrowserStore(inner)
    }
  }
  if (info.locked) return { kind: 'locked', info }
  return { kind: 'open', store: await openAtRest(inner, { kind: 'device', key: await deviceKey() }) }
}

/** Opens a locked store with what the person gave (M203 when it does not open it). */
export function unlockStore(inner: LocalStore, secret: AtRestSecret): Promise<LocalStore> {
  return openAtRest(inner, secret)
}

/**
 * [M29] Sets what opens the store: `next` secrets (a lock), or none (no lock: the device key).
 * `current` opens it now (undefined: the device key). Turning a lock on seals every record again
 * under a fresh master and deletes the device key. The engine must be stopped first.
 */
export async function setUnlockers(inner: LocalStore, current: AtRestSecret | undefined, next: readonly AtRestSecret[]): Promise<void> {
  const now = current ?? { kind: 'device' as const, key: await deviceKey() }
  const wasLocked = (await atRestInfo(inner)).locked
  if (next.length) {
    await changeUnlockers(inner, now, next, { rekey: !wasLocked })
    await forget(DEVICE)
  } else {
    await forget(DEVICE)
    await changeUnlockers(inner, now, [{ kind: 'device', key: await deviceKey() }])
  }
}
