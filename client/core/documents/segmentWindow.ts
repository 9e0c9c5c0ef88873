import * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DocStore } from './docs.js'
import type { HybridClock } from './hlc.js'
import { messageList, readMessage, type MessageView, type SegmentDoc, type SegmentInfo } from './model.js'
import { readAction, type ActionView } from './actions.js'
import { readTimer, type TimerView } from './timer.js'
import { readCallEntry, type CallEntryView } from './callEntry.js'

/** What a scan found changed in a segment since the scan before. */
export interface SegmentChanges {
  readonly added: MessageView[]
  /** [M45] Messages whose record changed (edited, deleted for everyone), as they read now. */
  readonly updated: MessageView[]
  /** Messages whose entries their author deleted from the list. */
  readonly removed: MessageView[]
  /** [M42] Reaction and pin entries added or taken back. */
  readonly actions: ActionView[]
  /** [M65] Timer entries added or taken back. */
  readonly timers: TimerView[]
  /** [V7] Call entries added or taken back. */
  readonly calls: CallEntryView[]
}

interface SegmentCache {
  readonly messages: Map<string, MessageView>
  readonly actions: Map<string, ActionView>
  readonly timers: Map<string, TimerView>
  readonly calls: Map<string, CallEntryView>
  /**
   * Every entry's record object as last read, by object id. Automerge shares unchanged objects
   * between versions of a document, so a record that is still the same object is unchanged.
   */
  readonly raw: Map<string, object>
  /** The list object last scanned: the same object means nothing in the list changed. */
  list?: unknown
}

/**
 * [M11]–[M13] Which segments of each conversation exist, which are loaded (the window on
 * screen), and the messages read from them. Opening costs the newest segment; older ones load
 * on request; a segment that receives changes joins the window. A segment dropped on this
 * device ([M71]) stays listed (its index is taken) but is never loaded: the window treats it as
 * empty, and loading earlier skips it and goes on to the one before.
 */
export class SegmentWindow {
  private readonly segments = new Map<ConvId, SegmentInfo[]>()
  private readonly loaded = new Map<ConvId, Set<DocId>>()
  private readonly cache = new Map<DocId, SegmentCache>()

  constructor(private readonly docs: DocStore, private readonly clock: HybridClock, readonly isDropped: (seg: DocId) => boolean = () => false) {}

  /** Records the segments listed in the root; returns the ones not known before. */
  setSegments(conv: ConvId, segs: SegmentInfo[]): SegmentInfo[] {
    const before = new Set((this.segments.get(conv) ?? []).map((s) => s.id))
    this.segments.set(conv, segs)
    return segs.filter((s) => !before.has(s.id))
  }

  segmentsOf(conv: ConvId): readonly SegmentInfo[] {
    return this.segments.get(conv) ?? []
  }

  /** Entries of a segment (messages, reactions and pins): what fills it up ([M11]). */
  count(seg: DocId): number {
    const c = this.cache.get(seg)
    return c ? c.messages.size + c.actions.size + c.timers.size + c.calls.size : 0
  }

  private window(conv: ConvId): Set<DocId> {
    let set = this.loaded.get(conv)
    if (!set) this.loaded.set(conv, (set = new Set()))
    return set
  }

  /** [M13a] Whether a segment of the window has been read: its messages are what `messages()` lists. */
  isShowing(conv: ConvId): boolean {
    for (const seg of this.loaded.get(conv) ?? []) if (this.cache.has(seg)) return true
    return false
  }

  async load(conv: ConvId, seg: DocId): Promise<void> {
    if (this.isDropped(seg)) return
    this.window(conv).add(seg)
    if (this.cache.has(seg)) return
    const doc = await this.docs.doc<SegmentDoc>(seg)
    // A change may have filled the cache while the document loaded: never replace newer entries.
    if (this.cache.has(seg) || this.isDropped(seg)) return
    const c: SegmentCache = { messages: new Map(), actions: new Map(), timers: new Map(), calls: new Map(), raw: new Map() }
    this.cache.set(seg, c)
    if (doc) this.read(doc, seg, c)
  }

  /** Opening: the newest segment, and the one before while the newest is nearly empty. */
  async open(conv: ConvId): Promise<void> {
    this.window(conv)
    const segs = this.segmentsOf(conv).filter((s) => !this.isDropped(s.id))
    const newest = segs[segs.length - 1]
    if (!newest) return
    await this.load(conv, newest.id)
    const previous = segs[segs.length - 2]
    if (previous && this.count(newest.id) < 50) await this.load(conv, previous.id)
  }

  hasEarlier(conv: ConvId): boolean {
    const loaded = this.loaded.get(conv) ?? new Set()
    return this.segmentsOf(conv).some((s) => !loaded.has(s.id) && !this.isDropped(s.id))
  }

  async loadEarlier(conv: ConvId): Promise<void> {
    const loaded = this.loaded.get(conv) ?? new Set()
    const older = this.segmentsOf(conv).filter((s) => !loaded.has(s.id) && !this.isDropped(s.id)).pop()
    if (older) await this.load(conv, older.id)
  }

  /** Messages of the loaded window, unsorted. */
  *views(conv: ConvId): Iterable<MessageView> {
    for (const seg of this.loaded.get(conv) ?? []) yield* this.cache.get(seg)?.messages.values() ?? []
  }

  /** [M42] Reaction and pin entries of the loaded window, unsorted. */
  *actions(conv: ConvId): Iterable<ActionView> {
    for (const seg of this.loaded.get(conv) ?? []) yield* this.cache.get(seg)?.actions.values() ?? []
  }

  /** [M65] Timer entries of the loaded window, unsorted. */
  *timers(conv: ConvId): Iterable<TimerView> {
    for (const seg of this.loaded.get(conv) ?? []) yield* this.cache.get(seg)?.timers.values() ?? []
  }

  /** [V7] Call entries of the loaded window, unsorted. */
  *callEntries(conv: ConvId): Iterable<CallEntryView> {
    for (const seg of this.loaded.get(conv) ?? []) yield* this.cache.get(seg)?.calls.values() ?? []
  }

  /** [M71] A segment's entries as last read, or undefined when it is not in the cache. */
  entriesOf(seg: DocId): { messages: readonly MessageView[]; actions: readonly ActionView[]; timers: readonly TimerView[] } | undefined {
    const c = this.cache.get(seg)
    return c && { messages: [...c.messages.values()], actions: [...c.actions.values()], timers: [...c.timers.values()] }
  }

  /** [M71] The segment was dropped on this device: it leaves the cache and every window. */
  drop(seg: DocId): void {
    this.cache.delete(seg)
    for (const set of this.loaded.values()) set.delete(seg)
  }

  /** [M66] Timer entries of one segment (none when it is not loaded). */
  timersIn(seg: DocId): TimerView[] {
    return [...(this.cache.get(seg)?.timers.values() ?? [])]
  }

  /**
   * [M53] The messages of `doc` (a version of segment `seg`) from the cache, when the cache was
   * read from a version whose message list is this very object (Automerge shares unchanged
   * objects between versions: nothing in the list changed since); else undefined. In list order
   * or not: the search indexer does not mind.
   */
  cachedMessages(seg: DocId, doc: A.Doc<SegmentDoc>): MessageView[] | undefined {
    const c = this.cache.get(seg)
    return c && c.list !== undefined && c.list === messageList(doc) ? [...c.messages.values()] : undefined
  }

  /** A message of the loaded window by its object id. */
  find(conv: ConvId, id: string): MessageView | undefined {
    for (const seg of this.loaded.get(conv) ?? []) {
      const m = this.cache.get(seg)?.messages.get(id)
      if (m) return m
    }
    return undefined
  }

  /**
   * [M45] A segment changed: read the entries that are new or whose record changed, drop those
   * deleted, and add the segment to the window. One pass over the list compares object
   * identities (about 40 µs per 1,000 entries); only changed records are read again.
   */
  scan(conv: ConvId, seg: DocId): Promise<SegmentChanges> {
    const run = this.scanNow(conv, seg)
    this.scanning.add(run)
    void run.finally(() => this.scanning.delete(run)).catch(() => undefined)
    return run
  }

  /** Settles once the scans started so far are done (an action on a message just sent finds it). */
  async idle(): Promise<void> {
    while (this.scanning.size) await Promise.allSettled([...this.scanning])
  }

  private readonly scanning = new Set<Promise<SegmentChanges>>()

  private async scanNow(conv: ConvId, seg: DocId): Promise<SegmentChanges> {
    const found: SegmentChanges = { added: [], updated: [], removed: [], actions: [], timers: [], calls: [] }
    const d = await this.docs.doc<SegmentDoc>(seg)
    if (!d || this.isDropped(seg)) return found
    let c = this.cache.get(seg)
    if (!c) this.cache.set(seg, (c = { messages: new Map(), actions: new Map(), timers: new Map(), calls: new Map(), raw: new Map() }))
    this.window(conv).add(seg)
    return this.read(d, seg, c, found)
  }

  private read(d: A.Doc<SegmentDoc>, seg: DocId, c: SegmentCache, found: SegmentChanges = { added: [], updated: [], removed: [], actions: [], timers: [], calls: [] }): SegmentChanges {
    const list = messageList(d)
    if (list === c.list) return found
    c.list = list
    const before = c.raw.size
    let kept = 0
    for (let i = 0; i < list.length; i++) {
      const rec = list[i] as unknown
      const id = rec && typeof rec === 'object' ? A.getObjectId(rec) : null
      if (!id) continue
      const prev = c.raw.get(id)
      if (prev !== undefined) kept++
      if (prev === rec) continue
      c.raw.set(id, rec as object)
      const was = c.messages.get(id)
      const m = readMessage(d, seg, i)
      if (m) {
        c.messages.set(id, m)
        this.clock.observe(m.ts) // [M14] a reply sorts after what it answers, after a reload too
        ;(was ? found.updated : found.added).push(m)
        continue
      }
      if (was) (c.messages.delete(id), found.removed.push(was))
      // An action entry its author rewrote (only a modified client does) is read again too.
      const a = readAction(d, seg, i)
      const old = c.actions.get(id)
      if (old) (c.actions.delete(id), found.actions.push(old))
      if (a) {
        c.actions.set(id, a)
        this.clock.observe(a.ts)
        found.actions.push(a)
        continue
      }
      const t = readTimer(d, seg, i)
      const oldTimer = c.timers.get(id)
      if (oldTimer) (c.timers.delete(id), found.timers.push(oldTimer))
      if (t) {
        c.timers.set(id, t)
        found.timers.push(t)
        continue
      }
      const call = readCallEntry(d, seg, i)
      const oldCall = c.calls.get(id)
      if (oldCall) (c.calls.delete(id), found.calls.push(oldCall))
      if (call) (c.calls.set(id, call), found.calls.push(call))
    }
    if (kept < before) this.dropMissing(list, c, found)
    return found
  }

  /** Entries their authors deleted (a reaction taken back): gone from the cache. */
  private dropMissing(list: readonly unknown[], c: SegmentCache, found: SegmentChanges): void {
    const present = new Set<string>()
    for (const rec of list) {
      const id = rec && typeof rec === 'object' ? A.getObjectId(rec) : null
      if (id) present.add(id)
    }
    for (const id of [...c.raw.keys()]) {
      if (present.has(id)) continue
      c.raw.delete(id)
      const m = c.messages.get(id)
      if (m) (c.messages.delete(id), found.removed.push(m))
      const a = c.actions.get(id)
      if (a) (c.actions.delete(id), found.actions.push(a))
      const t = c.timers.get(id)
      if (t) (c.timers.delete(id), found.timers.push(t))
      const call = c.calls.get(id)
      if (call) (c.calls.delete(id), found.calls.push(call))
    }
  }
}
