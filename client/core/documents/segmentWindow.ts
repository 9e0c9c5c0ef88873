import * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DocStore } from './docs.js'
import type { HybridClock } from './hlc.js'
import { entryAt, messageList, readMessageEntry, type MessageView, type SegmentDoc, type SegmentEntry, type SegmentInfo } from './model.js'
import { readActionEntry, type ActionView } from './actions.js'
import { readTimerEntry, type TimerView } from './timer.js'
import { readCallRecord, type CallEntryView } from './callEntry.js'
import { sameValue } from './sameValue.js'

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
  /** The DocStore version the cache shows ([M3b]): appended entries are added only on top of it. */
  version: number
}

/**
 * [M3b] `raw`'s mark for an entry added from a change's own records, not read from the document:
 * the first read of the document that holds it compares what it reads with what was added.
 */
const APPENDED = Object.freeze({})

/**
 * An entry of one kind (reaction or pin, timer, call) read again: the old one is reported taken
 * back and the new one added, unless an appended entry reads as it was added ([M3b]). True when
 * the entry is of this kind.
 */
function replaceEntry<V>(kind: Map<string, V>, id: string, next: V | undefined, reported: V[], appended: boolean): boolean {
  const old = kind.get(id)
  if (appended && old !== undefined && next !== undefined && sameValue(old, next)) return (kind.set(id, next), true)
  if (old !== undefined) (kind.delete(id), reported.push(old))
  if (next !== undefined) (kind.set(id, next), reported.push(next))
  return next !== undefined
}

const emptyCache = (version: number): SegmentCache => ({ messages: new Map(), actions: new Map(), timers: new Map(), calls: new Map(), raw: new Map(), version })
const noChanges = (): SegmentChanges => ({ added: [], updated: [], removed: [], actions: [], timers: [], calls: [] })

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

  /** Whether `seg` is in the conversation's window (its messages, once read, are among `views`). */
  shows(conv: ConvId, seg: DocId): boolean {
    return this.loaded.get(conv)?.has(seg) ?? false
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
    const at = await this.docs.docAt<SegmentDoc>(seg)
    // A change may have filled the cache while the document loaded: never replace newer entries.
    if (this.cache.has(seg) || this.isDropped(seg)) return
    // No document yet (a segment this device is about to start): its cache is at version 0, the
    // one a new segment's first append is made on ([M3b]), so that append is taken as it comes
    // instead of read again from the document.
    const c = emptyCache(at ? -1 : 0)
    this.cache.set(seg, c)
    if (at) this.read(at.doc, at.version, seg, c)
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
   * [M53] The messages of segment `seg` from the cache, when the cache shows the document as the
   * DocStore holds it now (its version); else undefined. In list order or not: the search
   * indexer does not mind.
   */
  cachedMessages(seg: DocId): MessageView[] | undefined {
    const c = this.cache.get(seg)
    return c && c.version >= 0 && c.version === this.docs.versionOf(seg) ? [...c.messages.values()] : undefined
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
    const found = noChanges()
    const at = await this.docs.docAt<SegmentDoc>(seg)
    if (!at || this.isDropped(seg)) return found
    let c = this.cache.get(seg)
    if (!c) this.cache.set(seg, (c = emptyCache(-1)))
    this.window(conv).add(seg)
    return this.read(at.doc, at.version, seg, c, found)
  }

  /**
   * [M3b] A change that only appended entries (DocChange.appended): they are added to the cache
   * without reading the document, when the cache shows the version the change was made on (a
   * new segment: none yet, on version 0) and holds none of them. Otherwise undefined: scan.
   */
  appended(conv: ConvId, seg: DocId, before: number, after: number, entries: readonly SegmentEntry[]): SegmentChanges | undefined {
    if (this.isDropped(seg)) return noChanges()
    let c = this.cache.get(seg)
    if (!c && before === 0) this.cache.set(seg, (c = emptyCache(0)))
    if (!c || c.version !== before || entries.some((e) => c!.raw.has(e.id))) return undefined
    this.window(conv).add(seg)
    const found = noChanges()
    for (const e of entries) {
      c.raw.set(e.id, APPENDED)
      this.readEntry(e, seg, c, found)
    }
    c.version = after
    return found
  }

  private read(d: A.Doc<SegmentDoc>, version: number, seg: DocId, c: SegmentCache, found: SegmentChanges = noChanges()): SegmentChanges {
    // A document older than the cache (appended entries were added while it was read) adds nothing.
    if (version < c.version) return found
    c.version = version
    const list = messageList(d)
    if (list === c.list) return found
    c.list = list
    const before = c.raw.size
    let kept = 0
    for (let i = 0; i < list.length; i++) {
      const e = entryAt(d, i)
      if (!e) continue
      const prev = c.raw.get(e.id)
      if (prev !== undefined) kept++
      if (prev === e.rec) continue
      c.raw.set(e.id, e.rec as object)
      this.readEntry(e, seg, c, found, prev === APPENDED)
    }
    if (kept < before) this.dropMissing(list, c, found)
    return found
  }

  /**
   * One entry, new or changed. `appended`: it was added from its change's records; read from the
   * document now, it is reported only if it reads otherwise (it changed since).
   */
  private readEntry(e: SegmentEntry, seg: DocId, c: SegmentCache, found: SegmentChanges, appended = false): void {
    const id = e.id
    const was = c.messages.get(id)
    const m = readMessageEntry(e, seg)
    if (m) {
      c.messages.set(id, m)
      this.clock.observe(m.ts) // [M14] a reply sorts after what it answers, after a reload too
      if (!(appended && was && sameValue(was, m))) (was ? found.updated : found.added).push(m)
      return
    }
    if (was) (c.messages.delete(id), found.removed.push(was))
    // An action entry its author rewrote (only a modified client does) is read again too.
    const a = readActionEntry(e, seg)
    if (a) this.clock.observe(a.ts)
    if (replaceEntry(c.actions, id, a, found.actions, appended)) return
    if (replaceEntry(c.timers, id, readTimerEntry(e, seg), found.timers, appended)) return
    replaceEntry(c.calls, id, readCallRecord(e, seg), found.calls, appended)
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
