import * as z from 'zod'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [M32] What a device that set up recovery keeps (encrypted at rest, [M28]): the blob's address,
 * write secret and sealing key (to refresh the blob), the recovery device's public keys, and its
 * private keys only as sealed under the recovery key (crypto [R7]) — never the key itself.
 */
export interface RecoveryRecord {
  readonly addr: Uint8Array
  readonly write: Uint8Array
  readonly blob: Uint8Array
  readonly sealedDevice: Uint8Array
  readonly sign: Uint8Array
  readonly box: Uint8Array
  readonly mailbox: Uint8Array
  readonly at: number
  /** When the blob on the server was last written (0: not yet). */
  readonly uploaded: number
  /** Blobs of earlier keys still to delete (the delete failed, e.g. offline). */
  readonly retired?: readonly { readonly addr: Uint8Array; readonly write: Uint8Array }[]
  /** Hash of the content last written: an unchanged blob is not written again. */
  readonly digest?: Uint8Array
}

const KEY = ['recovery']
const b32 = z.instanceof(Uint8Array).refine((b) => b.length === 32)
const schema = z.object({ v: z.literal(1), addr: b32, write: b32, blob: b32, sealedDevice: z.instanceof(Uint8Array).refine((b) => b.length < 1024), sign: b32, box: b32, mailbox: b32, at: z.number(), uploaded: z.number(), retired: z.array(z.object({ addr: b32, write: b32 })).max(16).optional(), digest: b32.optional() })

export async function loadRecovery(store: LocalStore): Promise<RecoveryRecord | undefined> {
  const bytes = await store.get(KEY)
  const rec = bytes && decodeRecord(bytes, schema)
  return rec ? rec : undefined
}

export async function saveRecovery(store: LocalStore, rec: RecoveryRecord): Promise<void> {
  await store.write([{ key: KEY, value: encodeRecord({ v: 1, ...rec }) }])
}

export async function deleteRecovery(store: LocalStore): Promise<void> {
  await store.write([{ key: KEY, value: undefined }])
}

const SPENT = ['recovery-spent']

/** [M32] The key made here was used to recover elsewhere (its blob is gone): when this device learned it. */
export async function markSpent(store: LocalStore, at: number): Promise<void> {
  await store.write([{ key: KEY, value: undefined }, { key: SPENT, value: encodeRecord({ at }) }])
}

export async function loadSpent(store: LocalStore): Promise<number | undefined> {
  const bytes = await store.get(SPENT)
  const rec = bytes && decodeRecord(bytes, z.object({ at: z.number() }))
  return rec ? rec.at : undefined
}
