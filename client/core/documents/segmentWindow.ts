import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DocStore } from './docs.js'
import type { HybridClock } from './hlc.js'
import { messageIdAt, messageList, readMessage, readSegment, type MessageView, type SegmentDoc, type SegmentInfo } from './model.js'

/**
 * [M11]–[M13] Which segments of each conversation exist, which are loaded (the window on
 * screen), and the messages read from them. Opening costs the newest segment; older ones load
 * on request; a segment that receives changes joins the window.
 */
export class SegmentWindow {
  private readonly segments = new Map<ConvId, SegmentInfo[]>()
  private readonly loaded = new Map<ConvId, Set<DocId>>()
  private readonly cache = new Map<DocId, Map<string, MessageView>>()

  constructor(private readonly docs: DocStore, private readonly clock: HybridClock) {}

  /** Records the segments listed in the root; returns the ones not known before. */
  setSegments(conv: ConvId, segs: SegmentInfo[]): SegmentInfo[] {
    const before = new Set((this.segments.get(conv) ?? []).map((s) => s.id))
    this.segments.set(conv, segs)
    return segs.filter((s) => !before.has(s.id))
  }

  segmentsOf(conv: ConvId): readonly SegmentInfo[] {
    return this.segments.get(conv) ?? []
  }

  count(seg: DocId): number {
    return this.cache.get(seg)?.size ?? 0
  }

  private window(conv: ConvId): Set<DocId> {
    let set = this.loaded.get(conv)
    if (!set) this.loaded.set(conv, (set = new Set()))
    return set
  }

  async load(conv: ConvId, seg: DocId): Promise<void> {
    this.window(conv).add(seg)
    if (this.cache.has(seg)) return
    const doc = await this.docs.doc<SegmentDoc>(seg)
    // A change may have filled the cache while the document loaded: never replace newer entries.
    if (this.cache.has(seg)) return
    const msgs = doc ? readSegment(doc, seg) : []
    for (const m of msgs) this.clock.observe(m.ts) // [M14] a reply sorts after what it answers, after a reload too
    this.cache.set(seg, new Map(msgs.map((m) => [m.id, m])))
  }

  /** Opening: the newest segment, and the one before while the newest is nearly empty. */
  async open(conv: ConvId): Promise<void> {
    this.window(conv)
    const segs = this.segmentsOf(conv)
    const newest = segs[segs.length - 1]
    if (!newest) return
    await this.load(conv, newest.id)
    const previous = segs[segs.length - 2]
    if (previous && this.count(newest.id) < 50) await this.load(conv, previous.id)
  }

  hasEarlier(conv: ConvId): boolean {
    const loaded = this.loaded.get(conv) ?? new Set()
    return this.segmentsOf(conv).some((s) => !loaded.has(s.id))
  }

  async loadEarlier(conv: ConvId): Promise<void> {
    const loaded = this.loaded.get(conv) ?? new Set()
    const older = this.segmentsOf(conv).filter((s) => !loaded.has(s.id)).pop()
    if (older) await this.load(conv, older.id)
  }

  /** Messages of the loaded window, unsorted. */
  *views(conv: ConvId): Iterable<MessageView> {
    for (const seg of this.loaded.get(conv) ?? []) yield* this.cache.get(seg)?.values() ?? []
  }

  /**
   * A segment changed: read the messages not seen yet (usually at the end, so scan back until
   * every unknown id is found) and add the segment to the window. Returns the new messages.
   */
  async scan(conv: ConvId, seg: DocId): Promise<MessageView[]> {
    const d = await this.docs.doc<SegmentDoc>(seg)
    if (!d) return []
    let cache = this.cache.get(seg)
    if (!cache) this.cache.set(seg, (cache = new Map()))
    const n = messageList(d).length
    let missing = n - cache.size
    const added: MessageView[] = []
    for (let i = n - 1; i >= 0 && missing > 0; i--) {
      const id = messageIdAt(d, i)
      if (id === undefined) {
        missing--
        continue
      }
      if (cache.has(id)) continue
      missing--
      const m = readMessage(d, seg, i)
      if (!m) continue
      this.clock.observe(m.ts)
      cache.set(id, m)
      added.push(m)
    }
    this.window(conv).add(seg)
    return added
  }
}
