import type { ConvId, DocId } from '../../../protocol/index.js'
import type { Registry } from '../conversations/registry.js'
import type { HybridClock } from '../documents/hlc.js'
import { rootDocOf } from '../documents/layout.js'
import type { SegmentDoc } from '../documents/model.js'
import { orgMaxOf } from '../documents/timerWrites.js'
import type { Parts } from '../parts.js'
import { readStoredSegment } from '../search/segmentReader.js'
import type { SearchIndex } from '../search/searchIndex.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { dropSegment, type DropDeps } from './dropSegment.js'
import { readEntries } from './entries.js'
import { Pruner } from './pruner.js'
import { loadVerdicts, saveVerdicts } from './verdicts.js'

export interface PruneHost {
  readonly store: LocalStore
  readonly registry: Registry
  readonly clock: HybridClock
  readonly search: () => SearchIndex | undefined
  /** A segment was dropped (its queued message ids, no longer pending). */
  readonly dropped: (conv: ConvId, seg: DocId, msgIds: string[]) => void
}

/** [M71] What dropping a segment touches, from the Messenger's parts. */
export function dropDeps(parts: Parts, host: Pick<PruneHost, 'store' | 'registry' | 'search'>): DropDeps {
  const { docs, segs, outbox, engine, dropped } = parts
  return { store: host.store, dropped, docs, segs, outbox, registry: host.registry, engine, search: host.search }
}

/** [M71] The pruner over the Messenger's parts: which segments exist, what they hold, how one is dropped. */
export function makePruner(parts: Parts, host: PruneHost): Pruner {
  const { docs, segs, layout, engine, team } = parts
  const drop = dropDeps(parts, host)
  return new Pruner({
    conversations: () => host.registry.list().map((r) => r.conv),
    segmentsOf: (conv) => segs.segmentsOf(conv),
    writable: (conv) => {
      const root = layout.writeRoot(conv)
      return segs.segmentsOf(conv).filter((s) => (s.root ?? rootDocOf(conv)) === root).at(-1)?.id
    },
    isDropped: (seg) => parts.dropped.has(seg),
    caughtUp: (conv, seg) => engine.caughtUp(conv, seg),
    cached: async (seg) => {
      const window = segs.entriesOf(seg)
      if (window) return window
      if (!docs.isLoaded(seg)) return undefined
      const doc = await docs.doc<SegmentDoc>(seg)
      return doc && readEntries(doc, seg)
    },
    stored: (seg) => readStoredSegment(host.store, seg, (doc) => readEntries(doc, seg)),
    orgMax: (conv) => orgMaxOf(team, conv),
    now: () => host.clock.wallNow(),
    drop: async (conv, seg) => host.dropped(conv, seg, await dropSegment(drop, conv, seg)),
    loadVerdicts: () => loadVerdicts(host.store),
    saveVerdicts: (conv, v) => saveVerdicts(host.store, conv, v),
  })
}
