import * as z from 'zod'
import type { ConvId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

const schema = z.object({ e: z.number().int().nonnegative().max(0xffffffff) })

/**
 * [M26] The epoch each received message was written under (the epoch of the envelope that
 * brought it), so what is shown can be checked again when the membership changes: a message
 * whose author turns out not to have been a member device of that epoch (a merge revealed a
 * concurrent removal) is hidden from then on. Kept in local storage beside the documents.
 */
export class MessageEpochs {
  private readonly byConv = new Map<ConvId, Map<string, number>>()
  private readonly loaded = new Set<ConvId>()

  constructor(private readonly store: LocalStore) {}

  async load(conv: ConvId): Promise<void> {
    if (this.loaded.has(conv)) return
    const map = this.mapOf(conv)
    for (const e of await this.store.range(['msg-epoch', conv])) {
      const rec = decodeRecord(e.value, schema)
      const id = e.key[2]
      if (rec && typeof id === 'string' && !map.has(id)) map.set(id, rec.e)
    }
    this.loaded.add(conv)
  }

  /**
   * Records the epochs of a batch's messages: in memory at once (so nothing is shown before its
   * epoch is known), in storage with one write, whose promise is returned.
   */
  record(conv: ConvId, batches: readonly { ids: readonly string[]; epoch: number }[]): Promise<void> {
    const map = this.mapOf(conv)
    const writes = batches.flatMap(({ ids, epoch }) => ids.map((id) => (map.set(id, epoch), { key: ['msg-epoch', conv, id], value: encodeRecord({ e: epoch }) })))
    return writes.length ? this.store.write(writes) : Promise.resolve()
  }

  epochOf(conv: ConvId, id: string): number | undefined {
    return this.byConv.get(conv)?.get(id)
  }

  private mapOf(conv: ConvId): Map<string, number> {
    let map = this.byConv.get(conv)
    if (!map) this.byConv.set(conv, (map = new Map()))
    return map
  }
}
