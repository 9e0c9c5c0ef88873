import * as z from 'zod'
import { parseConvId, parseDocId, type ConvId, type DocId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [M71] Segments dropped on this device: `dropped/<conv>/<doc>`, kept for good (the ids only),
 * so a dropped segment is never loaded, subscribed or fetched again. `erased` is written once
 * everything of it is deleted: a drop cut short by a crash is finished at the next start.
 *
 * Invariant 1: the tombstone is written before anything of the segment is deleted.
 */
export interface Tombstone { readonly conv: ConvId; readonly doc: DocId; readonly erased: boolean }

const schema = z.object({ v: z.literal(1), erased: z.boolean() })
const keyOf = (conv: ConvId, doc: DocId) => ['dropped', conv, doc]

export class DroppedSegments {
  private readonly docs = new Map<DocId, Tombstone>()

  constructor(private readonly store: LocalStore) {}

  /**
   * Reads the tombstones. One that does not read is still a tombstone (its key names the
   * segment): never loading a segment again is the safe side; it is erased again, too.
   */
  async load(): Promise<void> {
    for (const e of await this.store.range(['dropped'])) {
      const conv = parseConvId(e.key[1])
      const doc = parseDocId(e.key[2])
      if (!conv || !doc || e.key.length !== 3) continue
      const rec = decodeRecord(e.value, schema)
      this.docs.set(doc, { conv, doc, erased: rec?.erased ?? false })
    }
  }

  has(doc: DocId): boolean {
    return this.docs.has(doc)
  }

  /** Tombstones whose erasure did not finish (a crash in between). */
  unfinished(): Tombstone[] {
    return [...this.docs.values()].filter((t) => !t.erased)
  }

  /** Invariant 1: first, durably; from then on the segment counts as dropped. */
  async add(conv: ConvId, doc: DocId): Promise<void> {
    if (this.docs.get(doc)?.erased) return
    await this.store.write([{ key: keyOf(conv, doc), value: encodeRecord({ v: 1, erased: false }) }])
    this.docs.set(doc, { conv, doc, erased: false })
  }

  async erased(conv: ConvId, doc: DocId): Promise<void> {
    await this.store.write([{ key: keyOf(conv, doc), value: encodeRecord({ v: 1, erased: true }) }])
    this.docs.set(doc, { conv, doc, erased: true })
  }
}
