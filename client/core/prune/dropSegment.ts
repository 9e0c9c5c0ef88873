import type { ConvId, DocId } from '../../../protocol/index.js'
import type { Registry } from '../conversations/registry.js'
import type { DocStore } from '../documents/docs.js'
import type { SegmentWindow } from '../documents/segmentWindow.js'
import type { Outbox } from '../outbox/outbox.js'
import type { SearchIndex } from '../search/searchIndex.js'
import type { LocalStore } from '../storage/LocalStore.js'
import type { SyncEngine } from '../sync/engine.js'
import { eraseSegment } from './erase.js'
import type { DroppedSegments } from './tombstones.js'

/** What dropping a segment touches: every part that holds something of it. */
export interface DropDeps {
  readonly store: LocalStore
  readonly dropped: DroppedSegments
  readonly docs: Pick<DocStore, 'forget'>
  readonly segs: Pick<SegmentWindow, 'drop'>
  readonly outbox: Pick<Outbox, 'dropDoc'>
  readonly registry: Pick<Registry, 'forgetDoc'>
  readonly engine: Pick<SyncEngine, 'untrackDoc'>
  readonly search: () => Pick<SearchIndex, 'forget'> | undefined
}

/**
 * [M71] Drops a segment on this device: the tombstone first (tombstones.ts invariant 1), then it
 * leaves the views and the subscriptions, its queued changes leave the outbox, its document, cursor
 * and search record are let go of and erased. Returns the message ids whose changes were still
 * queued for it (no longer pending: they will never be stored).
 */
export async function dropSegment(deps: DropDeps, conv: ConvId, doc: DocId): Promise<string[]> {
  await deps.dropped.add(conv, doc)
  deps.segs.drop(doc)
  deps.engine.untrackDoc(conv, doc)
  const msgIds = await deps.outbox.dropDoc(conv, doc)
  await deps.registry.forgetDoc(conv, doc)
  await deps.docs.forget(doc)
  await deps.search()?.forget(conv, doc)
  await eraseSegment(deps.store, conv, doc)
  await deps.dropped.erased(conv, doc)
  return msgIds
}
