import type * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DocStore } from './docs.js'
import type { SyncEngine } from '../sync/engine.js'
import type { HybridClock } from './hlc.js'
import { readSegments, segmentDocId, type RootDoc, type SegmentInfo } from './model.js'
import type { SegmentWindow } from './segmentWindow.js'
import type { Team } from '../team/team.js'

/** The root document of a conversation's first generation shares the conversation's id. */
export const rootDocOf = (conv: ConvId): DocId => conv as string as DocId

export interface LayoutDeps {
  readonly docs: DocStore
  readonly segs: SegmentWindow
  readonly engine: SyncEngine
  readonly clock: HybridClock
  readonly team: () => Team | undefined
  readonly convOfDoc: Map<DocId, ConvId>
  readonly segmentCapacity: number
  /** Makes a local change to a document and queues it in the outbox. */
  readonly change: (conv: ConvId, doc: DocId, fns: A.ChangeFn<RootDoc>[]) => Promise<unknown>
}

/**
 * [M11][M24] Which documents make up a conversation: the roots of the generations this device
 * reads, the segments they list, and where new messages go.
 */
export class ConversationLayout {
  constructor(private readonly deps: LayoutDeps) {}

  /** [M24] The root documents of a conversation's generations this device reads, oldest first. */
  rootsOf(conv: ConvId): DocId[] {
    const team = this.deps.team()
    const gens = team?.generations(conv) ?? []
    return gens.length ? gens : [rootDocOf(conv)]
  }

  /** The root of the generation this device writes in. */
  writeRoot(conv: ConvId): DocId {
    const roots = this.rootsOf(conv)
    return roots[roots.length - 1]!
  }

  isRoot(doc: DocId): boolean {
    const conv = this.deps.convOfDoc.get(doc)
    return conv !== undefined && this.rootsOf(conv).includes(doc)
  }

  /** Reads the roots again: new segments are subscribed. */
  async refresh(conv: ConvId): Promise<void> {
    const { docs, engine, convOfDoc, segs } = this.deps
    const found: SegmentInfo[] = []
    for (const id of this.rootsOf(conv)) {
      convOfDoc.set(id, conv)
      engine.trackDoc(conv, id)
      const doc = await docs.doc<RootDoc>(id)
      if (!doc) continue
      found.push(...readSegments(id as string as ConvId, doc).map((s) => ({ ...s, root: id })))
    }
    if (found.length) {
      for (const s of found) convOfDoc.set(s.id, conv)
      // [M71] A segment dropped on this device is never subscribed again.
      for (const s of segs.setSegments(conv, found)) if (!segs.isDropped(s.id)) engine.trackDoc(conv, s.id)
    }
    const next = this.nextSegment(conv)
    if (next) engine.trackDoc(conv, next)
  }

  /**
   * [M11a] The segment after the newest one this device knows in the generation written in,
   * subscribed ahead of its announcement: the first messages of a new segment (a conversation's
   * very first message, every rollover) then arrive live, instead of after the root change that
   * names it, a round trip and a backlog read later. Segment ids derive from the root and the
   * index ([M11]), so every device names it alike; until someone writes there the server holds
   * nothing for it. Its changes pass the same checks as any segment's, and it joins the loaded
   * window when they arrive, as a segment receiving changes does.
   */
  nextSegment(conv: ConvId): DocId | undefined {
    const root = this.writeRoot(conv)
    const mine = this.deps.segs.segmentsOf(conv).filter((s) => (s.root ?? rootDocOf(conv)) === root)
    const index = mine.reduce((n, s) => Math.max(n, s.index + 1), 0)
    const id = segmentDocId(root as string as ConvId, index)
    if (this.deps.segs.isDropped(id)) return undefined
    this.deps.convOfDoc.set(id, conv)
    return id
  }

  /** The newest segment of the generation written in, or the next one when there is none or it is full. */
  /** Messages a loaded segment can still take before it is full. */
  roomIn(segment: DocId): number {
    return this.deps.segmentCapacity - this.deps.segs.count(segment)
  }

  async writableSegment(conv: ConvId): Promise<DocId> {
    const { segs, convOfDoc } = this.deps
    const root = this.writeRoot(conv)
    const mine = segs.segmentsOf(conv).filter((s) => (s.root ?? rootDocOf(conv)) === root)
    const newest = mine[mine.length - 1]
    // [M71] A dropped newest segment takes no more writes: the next one is started.
    if (newest && !segs.isDropped(newest.id)) {
      await segs.load(conv, newest.id)
      if (segs.count(newest.id) < this.deps.segmentCapacity) return newest.id
    }
    const index = newest ? newest.index + 1 : 0
    const id = segmentDocId(root as string as ConvId, index)
    const start = this.deps.clock.now()
    convOfDoc.set(id, conv)
    await this.deps.change(conv, root, [(d: RootDoc) => void (d[`s:${index}`] = { start })])
    await this.refresh(conv)
    convOfDoc.set(id, conv)
    await segs.load(conv, id)
    return id
  }
}
