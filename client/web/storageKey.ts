import { openDB } from 'idb'
import { generateStorageMaster, importStorageMaster } from '../../crypto/index.js'
import { openAtRest } from '../core/storage/atRest.js'
import type { LocalStore } from '../core/storage/LocalStore.js'

/**
 * [M28] This browser's storage master (crypto [R1]): a non-extractable WebCrypto HKDF key, made
 * once and kept in its own IndexedDB database. No script can read its bytes back, but Chromium
 * writes them into IndexedDB's files (`atRest.e2e.test.ts` lifts them from a copy of the
 * profile): until an app lock (issue 8) wraps the master with a passkey or passphrase, this keeps
 * the profile's files from showing any record in clear, not from being decrypted by a thief who
 * knows where to look.
 */
const DB = 'fieldchat-keys'
const STORE = 'keys'
const MASTER = 'storage-master'

export async function storageMaster(): Promise<CryptoKey> {
  const db = await openDB(DB, 1, { upgrade: (d) => void d.createObjectStore(STORE) })
  try {
    const kept: unknown = await db.get(STORE, MASTER)
    if (kept instanceof CryptoKey) return kept
    const bytes = generateStorageMaster()
    const key = await importStorageMaster(bytes)
    bytes.fill(0)
    await db.put(STORE, key, MASTER)
    return key
  } finally {
    db.close()
  }
}

/** The app's store, encrypted at rest under this browser's storage master. */
export async function openEncrypted(inner: LocalStore): Promise<LocalStore> {
  return openAtRest(inner, { kind: 'webcrypto', master: await storageMaster() })
}
