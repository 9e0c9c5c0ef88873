import * as z from 'zod'
import { parseConvId, parseDocId, type ConvId, type DocId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [M71] The pruner's verdicts on a conversation's kept segments, `prune/<conv>`: when to judge
 * each again (ms; -1: only once it changes) and the organisation's maximum they were judged under
 * (another maximum voids them). Kept so that a start does not read every older segment again.
 * A record that does not read is ignored: the segments are judged again.
 */
export interface ConvVerdicts { readonly orgMax: number; readonly at: Map<DocId, number> }

const NEVER = -1
const schema = z.object({ v: z.literal(1), orgMax: z.number().int().nonnegative(), at: z.array(z.tuple([z.string().max(64), z.number()])).max(1_000_000) })

export async function loadVerdicts(store: LocalStore): Promise<Map<ConvId, ConvVerdicts>> {
  const out = new Map<ConvId, ConvVerdicts>()
  for (const e of await store.range(['prune'])) {
    const conv = parseConvId(e.key[1])
    const rec = decodeRecord(e.value, schema)
    if (!conv || !rec || e.key.length !== 2) continue
    const at = new Map<DocId, number>()
    for (const [id, t] of rec.at) {
      const doc = parseDocId(id)
      if (doc) at.set(doc, t === NEVER ? Infinity : t)
    }
    out.set(conv, { orgMax: rec.orgMax, at })
  }
  return out
}

export function saveVerdicts(store: LocalStore, conv: ConvId, v: ConvVerdicts): Promise<void> {
  const at = [...v.at].map(([doc, t]) => [doc, t === Infinity ? NEVER : t] as const)
  return store.write([{ key: ['prune', conv], value: encodeRecord({ v: 1, orgMax: v.orgMax, at }) }])
}
