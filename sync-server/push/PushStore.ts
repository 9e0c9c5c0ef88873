/**
 * [S50][S53] Where Web Push subscriptions wait: push token → subscription, and nothing else — no
 * device id, no mailbox, no conversation, no time. Implementations: SQLite (`sqlitePushStore.ts`,
 * `<dataDir>/push.sqlite`) and memory (`memoryPushStore.ts`).
 */
export interface PushSubscriptionRecord {
  /** The push service's URL for this browser (checked against the allowed services at registration). */
  readonly endpoint: string
  /** The browser's P-256 public key (65 bytes, uncompressed) and auth secret (16 bytes), RFC 8291. */
  readonly p256dh: Uint8Array
  readonly auth: Uint8Array
}

export interface PushStore {
  /** Stores or replaces the subscription under `token`; `full` (nothing stored) when a new token would pass `max`. */
  put(token: Uint8Array, sub: PushSubscriptionRecord, max: number): Promise<'ok' | 'full'>
  get(token: Uint8Array): Promise<PushSubscriptionRecord | undefined>
  delete(token: Uint8Array): Promise<void>
  count(): Promise<number>
  close(): Promise<void>
}
