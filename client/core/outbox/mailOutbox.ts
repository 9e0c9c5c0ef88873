import * as z from 'zod'
import { decoyMailboxAddress, randomBytes } from '../../../crypto/index.js'
import { MAX_MAIL_RECIPIENTS } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * Mailbox items this device must deliver to other devices (sealed epoch keys after a removal).
 * Written before the rotation takes effect and sent first on every connection, so a rotation
 * made offline reaches the remaining members as soon as this device is back ([S11]).
 */
const device = z.instanceof(Uint8Array).refine((b) => b.length === 32)
/** Records written before [S11] took many recipients hold a single `to`: read as a list of one, never dropped. */
const schema = z.object({ to: z.union([device.transform((d) => [d]), z.array(device).min(1)]), body: z.instanceof(Uint8Array), notice: z.literal(true).optional() })
const pad = (n: number) => n.toString().padStart(16, '0')

/**
 * `notice`: tells devices that are out that they were removed ([T19]). It leaves only when the
 * sender says notices may go (every rotation it made is registered on the server), so a removed
 * device never learns of its removal while the server still takes its pushes.
 */
export interface QueuedMail { readonly key: string[]; readonly to: Uint8Array[]; readonly body: Uint8Array; readonly notice?: true }

/** [M27] Recipient buckets: at least 8, then powers of two, at most the frame's cap. */
export function recipientBucket(n: number): number {
  let bucket = 8
  while (bucket < n) bucket *= 2
  return Math.min(bucket, MAX_MAIL_RECIPIENTS)
}

function withDecoys(to: readonly Uint8Array[]): Uint8Array[] {
  const out = [...to]
  while (out.length < recipientBucket(to.length)) out.push(decoyMailboxAddress())
  // Real and decoy addresses in random order: a position says nothing either.
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomBytes(4).reduce((a, b) => a * 256 + b, 0) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

export class MailOutbox {
  private counter = Date.now() * 1000
  /** Items waiting to be acknowledged by the server (shown with the pending count). */
  size = 0
  constructor(private readonly store: LocalStore, private readonly changed: () => void = () => undefined) {}

  async load(): Promise<void> {
    this.size = (await this.store.range(['mail-out'])).length
  }

  /**
   * Queues each body for every mailbox in its `to` (1–10,000 distinct addresses, [S11]), padded
   * with decoy addresses to a bucket ([M27]), so the number of rows an item has on the server
   * does not tell how many devices it was for.
   */
  async add(items: readonly { to: Uint8Array[]; body: Uint8Array; notice?: true }[]): Promise<void> {
    for (const { to } of items) {
      // The server refuses such a frame whole, so the item would never leave the queue.
      if (to.length < 1 || to.length > MAX_MAIL_RECIPIENTS || new Set(to.map((d) => d.join(','))).size !== to.length) {
        throw new RangeError('mail needs 1 to 10,000 distinct recipients')
      }
    }
    const padded = items.map((i) => ({ ...i, to: withDecoys(i.to) }))
    await this.store.write(padded.map((i) => ({ key: ['mail-out', pad(this.counter++)], value: encodeRecord(i) })))
    this.size += items.length
    this.changed()
  }

  async list(): Promise<QueuedMail[]> {
    return (await this.store.range(['mail-out'])).flatMap((e) => {
      const rec = decodeRecord(e.value, schema)
      return rec ? [{ key: e.key, ...rec }] : []
    })
  }

  async remove(keys: readonly string[][]): Promise<void> {
    await this.store.write(keys.map((key) => ({ key, value: undefined })))
    this.size = Math.max(0, this.size - keys.length)
    this.changed()
  }
}
