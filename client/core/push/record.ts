import * as z from 'zod'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/** [M63] What this device keeps about its Web Push: its secret and the browser's subscription (untrusted when read back). */
export interface PushRecord {
  readonly secret: Uint8Array
  readonly endpoint: string
  readonly p256dh: Uint8Array
  readonly auth: Uint8Array
}

export const PUSH_KEY = ['push', 'subscription'] as const

const bytes = (n: number) => z.instanceof(Uint8Array).refine((b) => b.length === n)
const schema = z.object({ secret: bytes(32), endpoint: z.string().min(8).max(1024), p256dh: bytes(65), auth: bytes(16) })

export async function loadPushRecord(store: LocalStore): Promise<PushRecord | undefined> {
  const raw = await store.get(PUSH_KEY)
  return raw ? decodeRecord(raw, schema) : undefined
}

export function savePushRecord(store: LocalStore, rec: PushRecord | undefined): Promise<void> {
  return store.write([{ key: PUSH_KEY, value: rec ? encodeRecord(rec) : undefined }])
}
