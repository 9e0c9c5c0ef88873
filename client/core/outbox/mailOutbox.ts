import * as z from 'zod'
import { decoyPoolEntry, decoyPoolSize, randomBytes, randomDecoy } from '../../../crypto/index.js'
import { MAX_MAIL_RECIPIENTS, type ConvId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * Mailbox items this device must deliver to other devices (bundles, join requests and their
 * refusals). Written before a rotation takes effect and sent first on every connection, so a
 * rotation made offline reaches the remaining members as soon as this device is back ([S11]).
 */
const device = z.instanceof(Uint8Array).refine((b) => b.length === 32)
/** Records written before [S11] took many recipients hold a single `to`: read as a list of one, never dropped. */
const schema = z.object({ to: z.union([device.transform((d) => [d]), z.array(device).min(1)]), decoys: z.array(device).default([]), body: z.instanceof(Uint8Array), notice: z.literal(true).optional(), org: z.string().max(64).optional(), until: z.number().optional() })
const pad = (n: number) => n.toString().padStart(16, '0')

/**
 * `notice`: tells devices that are out that they were removed ([T19]). It leaves only when the
 * sender says notices may go (every rotation it made is registered on the server), so a removed
 * device never learns of its removal while the server still takes its pushes.
 */
export interface QueuedMail { readonly key: string[]; readonly to: Uint8Array[]; readonly decoys: Uint8Array[]; readonly body: Uint8Array; readonly notice?: true }

/**
 * What a caller queues: `pool`, the decoy pool key of the organisation the item is for (crypto [K8]);
 * `org`, that organisation, so that a wipe of it ([M30]) takes its queued mail too; `until`, a
 * wall-clock time (ms) after which the item is dropped unsent (a usage report, client [Q4], must
 * not leave at a reconnection).
 */
export interface OutgoingMail { readonly to: Uint8Array[]; readonly body: Uint8Array; readonly notice?: true; readonly pool?: Uint8Array; readonly org?: ConvId; readonly until?: number }

/** [M27] Recipient buckets: at least 8, then powers of two, at most the frame's cap. */
export function recipientBucket(n: number): number {
  let bucket = 8
  while (bucket < n) bucket *= 2
  return Math.min(bucket, MAX_MAIL_RECIPIENTS)
}

/**
 * [M27] Decoy destinations that bring an item's rows up to its bucket: drawn at random from the
 * organisation's pool when there is one (so they recur across stored items as real addresses do,
 * and readers can have them removed in step with their reads), else random.
 */
export function decoysFor(recipients: number, pool: Uint8Array | undefined): Uint8Array[] {
  const bucket = recipientBucket(recipients)
  const count = bucket - recipients
  if (!pool) return Array.from({ length: count }, randomDecoy)
  // `count` distinct indices drawn uniformly from the pool (at most half of it: the pool is
  // twice the bucket), and only those entries computed.
  const size = decoyPoolSize(bucket)
  const picked = new Set<number>()
  while (picked.size < count) picked.add(randomBytes(4).reduce((a, b) => a * 256 + b, 0) % size)
  return [...picked].map((i) => decoyPoolEntry(pool, i))
}

export class MailOutbox {
  private counter = Date.now() * 1000
  /** Items waiting to be acknowledged by the server (shown with the pending count). */
  size = 0
  constructor(
    private readonly store: LocalStore,
    private readonly changed: () => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    this.size = (await this.store.range(['mail-out'])).length
  }

  /**
   * Queues each body for every mailbox in its `to` (1–10,000 distinct addresses, [S11]), padded
   * with decoy destinations to a bucket ([M27]), so the number of rows an item has on the server
   * does not tell how many devices it was for.
   */
  async add(items: readonly OutgoingMail[]): Promise<void> {
    for (const { to } of items) {
      // The server refuses such a frame whole, so the item would never leave the queue.
      if (to.length < 1 || to.length > MAX_MAIL_RECIPIENTS || new Set(to.map((d) => d.join(','))).size !== to.length) {
        throw new RangeError('mail needs 1 to 10,000 distinct recipients')
      }
    }
    const padded = items.map(({ to, body, notice, pool, org, until }) => ({ to, decoys: decoysFor(to.length, pool), body, ...(notice ? { notice } : {}), ...(org ? { org } : {}), ...(until !== undefined ? { until } : {}) }))
    await this.store.write(padded.map((i) => ({ key: ['mail-out', pad(this.counter++)], value: encodeRecord(i) })))
    this.size += items.length
    this.changed()
  }

  /** What is queued; items past their `until` are dropped here, unsent. */
  async list(): Promise<QueuedMail[]> {
    const now = this.now()
    const expired: string[][] = []
    const out = (await this.store.range(['mail-out'])).flatMap((e) => {
      const rec = decodeRecord(e.value, schema)
      if (rec?.until !== undefined && rec.until < now) return expired.push(e.key), []
      return rec ? [{ key: e.key, to: rec.to, decoys: rec.decoys, body: rec.body, ...(rec.notice ? { notice: rec.notice } : {}) }] : []
    })
    if (expired.length) await this.remove(expired)
    return out
  }

  async remove(keys: readonly string[][]): Promise<void> {
    // Counted only if still there: an item dropped past its `until` may be acknowledged after.
    const present = (await Promise.all(keys.map((key) => this.store.get(key)))).filter((v) => v !== undefined).length
    await this.store.write(keys.map((key) => ({ key, value: undefined })))
    this.size = Math.max(0, this.size - present)
    this.changed()
  }
}

/** [M30] Keys of the mail queued for `org` (items queued before they named theirs are not found). */
export async function mailFor(store: LocalStore, org: ConvId): Promise<string[][]> {
  return (await store.range(['mail-out'])).flatMap((e) => (decodeRecord(e.value, schema)?.org === org ? [e.key] : []))
}
