import * as z from 'zod'
import type { LocalStore } from './storage/LocalStore.js'
import { decodeRecord, encodeRecord } from './storage/records.js'

/**
 * Mailbox items this device must deliver to other devices (sealed epoch keys after a removal).
 * Written before the rotation takes effect and sent first on every connection, so a rotation
 * made offline reaches the remaining members as soon as this device is back ([S11]).
 */
const schema = z.object({ to: z.instanceof(Uint8Array).refine((b) => b.length === 32), body: z.instanceof(Uint8Array) })
const pad = (n: number) => n.toString().padStart(16, '0')

export interface QueuedMail { readonly key: string[]; readonly to: Uint8Array; readonly body: Uint8Array }

export class MailOutbox {
  private counter = Date.now() * 1000
  constructor(private readonly store: LocalStore) {}

  async add(items: readonly { to: Uint8Array; body: Uint8Array }[]): Promise<void> {
    await this.store.write(items.map((i) => ({ key: ['mail-out', pad(this.counter++)], value: encodeRecord(i) })))
  }

  async list(): Promise<QueuedMail[]> {
    return (await this.store.range(['mail-out'])).flatMap((e) => {
      const rec = decodeRecord(e.value, schema)
      return rec ? [{ key: e.key, ...rec }] : []
    })
  }

  async remove(keys: readonly string[][]): Promise<void> {
    await this.store.write(keys.map((key) => ({ key, value: undefined })))
  }
}
