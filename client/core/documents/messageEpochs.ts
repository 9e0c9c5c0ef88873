import * as z from 'zod'
import type { ConvId, DocId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/** `more`: the other ids of the batch the record's key names the first of. */
const schema = z.object({ e: z.number().int().nonnegative().max(0xffffffff), more: z.array(z.string().max(200)).max(1_000_000).optional() })

/**
 * [M26] The epoch each received message was written under (the epoch of the envelope that
 * brought it), so what is shown can be checked again when the membership changes: a message
 * whose author turns out not to have been a member device of that epoch (a merge revealed a
 * concurrent removal) is hidden from then on. Kept in local storage beside the documents, under
 * `msg-epoch/<conv>/<segment>/<object id>`: an object id is unique only within its segment
 * ([M15]). One record per envelope's batch: keyed by its first id, the others in `more` (a record
 * per message was a twentieth of a reader's time in a burst); records of one id each, as written
 * before, still read. Records written before segments (`msg-epoch/<conv>/<object id>`) are still
 * read, for the messages received before; a segment's own record wins over them.
 */
export class MessageEpochs {
  /**
   * Per conversation: segment → object id → epoch, and the older records by object id alone.
   * Nested, not keyed by one joined string: `epochOf` is asked for every message listed, and
   * joining and hashing a fresh key each time was most of a reader's listing.
   */
  private readonly byConv = new Map<ConvId, { bySeg: Map<string, Map<string, number>>; legacy: Map<string, number> }>()
  private readonly loaded = new Set<ConvId>()

  constructor(private readonly store: LocalStore) {}

  async load(conv: ConvId): Promise<void> {
    if (this.loaded.has(conv)) return
    const maps = this.mapsOf(conv)
    for (const e of await this.store.range(['msg-epoch', conv])) {
      const rec = decodeRecord(e.value, schema)
      if (!rec) continue
      const [, , a, b] = e.key
      if (typeof a === 'string' && typeof b === 'string' && e.key.length === 4) {
        const seg = segMap(maps.bySeg, a)
        for (const id of [b, ...(rec.more ?? [])]) if (!seg.has(id)) seg.set(id, rec.e)
      } else if (typeof a === 'string' && e.key.length === 3 && !maps.legacy.has(a)) maps.legacy.set(a, rec.e)
    }
    this.loaded.add(conv)
  }

  /**
   * Records the epochs of a batch's messages (and other entries) of one segment: in memory at
   * once (so nothing is shown before its epoch is known), in storage with one write, whose
   * promise is returned.
   */
  record(conv: ConvId, segment: DocId, batches: readonly { ids: readonly string[]; epoch: number }[]): Promise<void> {
    const seg = segMap(this.mapsOf(conv).bySeg, segment)
    const writes = batches.flatMap(({ ids, epoch }) => {
      for (const id of ids) seg.set(id, epoch)
      const [first, ...more] = ids
      return first === undefined ? [] : [{ key: ['msg-epoch', conv, segment, first], value: encodeRecord(more.length ? { e: epoch, more } : { e: epoch }) }]
    })
    return writes.length ? this.store.write(writes) : Promise.resolve()
  }

  epochOf(conv: ConvId, segment: DocId, id: string): number | undefined {
    const maps = this.byConv.get(conv)
    return maps?.bySeg.get(segment)?.get(id) ?? maps?.legacy.get(id)
  }

  private mapsOf(conv: ConvId) {
    let maps = this.byConv.get(conv)
    if (!maps) this.byConv.set(conv, (maps = { bySeg: new Map(), legacy: new Map() }))
    return maps
  }
}

function segMap(bySeg: Map<string, Map<string, number>>, segment: string): Map<string, number> {
  let seg = bySeg.get(segment)
  if (!seg) bySeg.set(segment, (seg = new Map()))
  return seg
}
