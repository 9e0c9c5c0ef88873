import { parseConvId, parseDocId, type ConvId, type DeviceId, type DocId } from '../../../protocol/index.js'
import type { MessageView, SegmentInfo } from '../documents/model.js'
import type { LocalStore, WriteOp } from '../storage/LocalStore.js'
import type { SearchHit, SearchOptions, SearchStatus } from './hit.js'
import { SEARCH, readIndex, recordKey, staleKey, staleMark, writeIndex } from './indexRecord.js'
import { SegmentIndex, type IndexedMessage } from './segmentIndex.js'
import { snippetOf } from './snippet.js'
import { boundLimit, boundQuery } from './terms.js'

/** What the search index asks of the engine (search/wire.ts makes it from the Messenger's parts). */
export interface SearchDeps {
  readonly store: LocalStore
  /** The conversations on this device now. */
  readonly conversations: () => readonly ConvId[]
  /** A conversation's segments, oldest first. */
  readonly segmentsOf: (conv: ConvId) => readonly SegmentInfo[]
  readonly titleOf: (conv: ConvId) => string
  readonly nameOf: (conv: ConvId, device: DeviceId) => string
  /** A segment's messages (search/segmentReader.ts); undefined when the device has no data for it. */
  readonly read: (seg: DocId) => Promise<readonly MessageView[] | undefined>
  /** Called before `visible` is asked about these conversations. */
  readonly prepare: (convs: readonly ConvId[]) => Promise<void>
  /** Whether a message may be shown now ([M26]: not a message hidden by a concurrent removal). */
  readonly visible: (conv: ConvId, seg: DocId, m: IndexedMessage) => boolean
  /** How long a changed segment waits, after its last change, before it is compared with its document and saved. */
  readonly touchDelayMs: number
  /** The longest a segment that keeps changing waits after its first unsaved change (default 10 × touchDelayMs). */
  readonly maxDelayMs?: number
  /** Gives the engine a turn between segments (and between slices of a long one). */
  readonly pause: () => Promise<void>
}

/** Messages indexed between two pauses while a segment is built. */
const SLICE = 250

type Work = { readonly conv: ConvId; readonly seg: DocId }

/**
 * [M50]–[M54] The search index of this device: one SegmentIndex per segment of every conversation,
 * saved per segment (indexRecord.ts), searched together.
 *
 * Invariant 1: a segment whose record may lag its document has a stale mark in the store. The mark
 * is written when the document changes (`touch`), before anything else is written about that
 * change, and removed only by the write of a record made from the document as it was read
 * after the last change seen; a change during that read keeps the mark.
 * Invariant 2: a segment is read from its document only when it has no usable record or a stale
 * mark: opening again does not index again.
 * Invariant 3: after `stop` resolves, nothing is written (a wipe erases the records next, [M30]).
 */
export class SearchIndex {
  private readonly indexes = new Map<ConvId, Map<DocId, SegmentIndex>>()
  /** Segments changed since they were last read. */
  private readonly touched = new Map<DocId, ConvId>()
  /** Segments with a stale mark in the store (written by this session, or found on loading). */
  private readonly marked = new Set<DocId>()
  /** Segments to read and index, in order. */
  private readonly queue = new Map<DocId, ConvId>()
  private loading: Promise<void> | undefined
  private loaded = false
  private walking: Promise<void> | undefined
  private writes: Promise<void> = Promise.resolve()
  private timer: ReturnType<typeof setTimeout> | undefined
  /** When the first change not yet saved was seen (the save waits for a pause, but not for ever). */
  private firstTouch: number | undefined
  private startTimer: ReturnType<typeof setTimeout> | undefined
  private stopping = false
  private stopped = false
  private reads = 0
  /** [M71] Segments dropped on this device in this session: never indexed or written again. */
  private readonly forgotten = new Set<DocId>()

  constructor(private readonly deps: SearchDeps) {}

  /** Reads the saved indexes (once), then indexes in the background whatever they do not cover. */
  start(): Promise<void> {
    if (this.stopping) return Promise.resolve()
    this.loading ??= this.load().then(() => {
      this.loaded = true
      this.queueMissing()
      this.kick()
    })
    return this.loading
  }

  /** Starts after `delayMs` (opening the app comes first); `stop` before then cancels it. */
  startSoon(delayMs: number): void {
    if (this.stopping || this.loading || this.startTimer) return
    this.startTimer = setTimeout(() => void this.start(), delayMs)
  }

  /**
   * [M71] A segment dropped on this device: its index leaves memory, and its record and stale
   * mark are deleted after the writes already queued (so none of them brings it back).
   */
  forget(conv: ConvId, seg: DocId): Promise<void> {
    this.forgotten.add(seg)
    this.indexes.get(conv)?.delete(seg)
    this.touched.delete(seg)
    this.queue.delete(seg)
    this.marked.delete(seg)
    this.write([{ key: recordKey(conv, seg), value: undefined }, { key: staleKey(conv, seg), value: undefined }])
    return this.writes
  }

  /** A segment document changed (a message added, edited or deleted, here or elsewhere). */
  touch(conv: ConvId, seg: DocId): void {
    if (this.stopping || this.forgotten.has(seg)) return
    this.touched.set(seg, conv)
    // Invariant 1: the mark goes first; a session that never loads the index leaves it for the next.
    if (!this.marked.has(seg)) {
      this.marked.add(seg)
      this.write([staleMark(conv, seg)])
    }
    if (this.loaded) this.scheduleFlush()
  }

  /**
   * [M53] A save (a whole segment's record) waits until the changes pause for `touchDelayMs`, and
   * at most `maxDelayMs` after the first unsaved one: a conversation that streams messages is not
   * saved again after every second of them (the stale mark covers a crash meanwhile).
   */
  private scheduleFlush(): void {
    const now = Date.now()
    this.firstTouch ??= now
    const wait = Math.min(this.deps.touchDelayMs, this.firstTouch + (this.deps.maxDelayMs ?? 10 * this.deps.touchDelayMs) - now)
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.flushTouched(), Math.max(0, wait))
  }

  /** New messages are searchable at once; the record follows with the touched segment (Invariant 1). */
  added(conv: ConvId, messages: readonly MessageView[]): void {
    if (!this.loaded || this.stopping) return
    const title = this.deps.titleOf(conv)
    for (const m of messages) {
      if (this.forgotten.has(m.segment)) continue
      const index = this.indexes.get(conv)?.get(m.segment)
      if (!index) {
        this.queue.set(m.segment, conv) // built whole from its document, never from a part
        continue
      }
      if (!indexable(m)) index.remove(m.id)
      else index.put({ ...m, authorName: this.deps.nameOf(conv, m.author), title })
    }
    if (this.queue.size) this.kick()
  }

  /** Edited messages are indexed again, deleted ones leave the index ([M54]). */
  updated(conv: ConvId, messages: readonly MessageView[]): void {
    this.added(conv, messages)
  }

  /** Settles once every segment known now is indexed and saved (tests, the CLI). */
  async indexed(): Promise<void> {
    await this.start()
    while (!this.stopping && (this.walking || this.queue.size || this.touched.size)) {
      this.flushTouched()
      await this.walking
    }
    await this.writes
  }

  status(): SearchStatus {
    let segments = 0
    for (const m of this.indexes.values()) segments += m.size
    return { indexing: !!this.walking || this.queue.size > 0, segments, queued: this.queue.size, read: this.reads }
  }

  /** The segment a message of `conv` is in, as the index knows it. */
  segmentOf(conv: ConvId, id: string): DocId | undefined {
    for (const [seg, index] of this.indexes.get(conv) ?? []) if (index.has(id)) return seg
    return undefined
  }

  /** [M51][M52] Messages with every word of `query`, best first, at most `limit`. */
  async search(query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    await this.start()
    const { terms, prefixLast } = boundQuery(query)
    if (!terms.length) return []
    const convs = opts.conv ? [opts.conv] : [...this.indexes.keys()]
    await this.deps.prepare(convs)
    const found: { conv: ConvId; seg: DocId; m: IndexedMessage; score: number; terms: readonly string[] }[] = []
    for (const conv of convs) {
      for (const [seg, index] of this.indexes.get(conv) ?? []) {
        for (const r of index.search(terms, prefixLast)) if (this.deps.visible(conv, seg, r.message)) found.push({ conv, seg, m: r.message, score: r.score, terms: r.terms })
      }
    }
    found.sort((a, b) => b.score - a.score || b.m.ts - a.m.ts)
    return found.slice(0, boundLimit(opts.limit)).map(({ conv, seg, m, score, terms: matched }) => ({
      conv, convTitle: this.deps.titleOf(conv), id: m.id, segment: seg, ts: m.ts, author: m.author,
      authorName: this.deps.nameOf(conv, m.author), text: m.text, snippet: snippetOf(m.text, matched), score,
    }))
  }

  /** Invariant 3: stops indexing, saves what changed since the last save, and writes nothing after. */
  async stop(): Promise<void> {
    if (this.stopping) return this.writes
    this.stopping = true
    if (this.timer) clearTimeout(this.timer)
    if (this.startTimer) clearTimeout(this.startTimer)
    await this.loading?.catch(() => undefined)
    await this.walking
    if (this.loaded) for (const [seg, conv] of [...this.touched]) await this.index(conv, seg).catch(() => undefined)
    this.stopped = true
    await this.writes
  }

  /** [M54] Records that are not a usable index, and marked ones, are read again from their documents. */
  private async load(): Promise<void> {
    const known = new Set(this.deps.conversations())
    const byConv = new Map<ConvId, { seg: DocId; value: Uint8Array }[]>()
    const stale = new Map<DocId, ConvId>()
    const drop: WriteOp[] = []
    for (const e of await this.deps.store.range([SEARCH])) {
      const conv = parseConvId(e.key[1])
      const seg = parseDocId(e.key[2])
      if (!conv || !seg || !known.has(conv) || e.key.length > 4 || (e.key.length === 4 && e.key[3] !== 'stale')) {
        drop.push({ key: e.key, value: undefined }) // a conversation no longer here, or not a key of ours
        continue
      }
      if (e.key.length === 4) stale.set(seg, conv)
      else byConv.set(conv, [...(byConv.get(conv) ?? []), { seg, value: e.value }])
    }
    if (drop.length) this.write(drop)
    for (const seg of stale.keys()) this.marked.add(seg)
    for (const [conv, records] of byConv) {
      for (const { seg, value } of records) {
        if (this.stopping) return
        const read = readIndex(value)
        if (read.ok) this.indexesOf(conv).set(seg, read.index)
        // Invariant 2: a marked segment keeps its index for searching until it is compared again.
        if (!read.ok || stale.has(seg)) this.queue.set(seg, conv)
        await this.deps.pause()
      }
    }
    for (const [seg, conv] of stale) if (!this.queue.has(seg)) this.queue.set(seg, conv)
  }

  /** [M53] Segments without an index: the newest of every conversation first, then the one before each, … */
  private queueMissing(): void {
    const lists = this.deps.conversations().map((conv) => ({ conv, segs: [...this.deps.segmentsOf(conv)].reverse() }))
    const depth = Math.max(0, ...lists.map((l) => l.segs.length))
    for (let d = 0; d < depth; d++) {
      for (const { conv, segs } of lists) {
        const s = segs[d]
        if (s && !this.indexes.get(conv)?.has(s.id)) this.queue.set(s.id, conv)
      }
    }
    for (const [seg, conv] of this.touched) this.queue.set(seg, conv)
  }

  private flushTouched(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.firstTouch = undefined
    if (this.stopping) return
    for (const [seg, conv] of this.touched) this.queue.set(seg, conv)
    this.kick()
  }

  private kick(): void {
    if (this.walking || this.stopping || !this.queue.size) return
    this.walking = this.walk().finally(() => {
      this.walking = undefined
      this.kick()
    })
  }

  /** [M53] One segment at a time, with a pause between: the engine is never held up for long. */
  private async walk(): Promise<void> {
    for (const [seg, conv] of this.queue) {
      // Before each segment too: one queued in the middle of a catch-up waits for its backlog (`pause`).
      await this.deps.pause()
      if (this.stopping) return
      if (!this.queue.has(seg)) continue
      this.queue.delete(seg)
      await this.index(conv, seg).catch(() => undefined) // a segment that fails is tried on its next change
    }
  }

  /** Reads a segment and brings its index in line with it: new and edited messages in, deleted ones out. */
  private async index(conv: ConvId, seg: DocId): Promise<void> {
    this.touched.delete(seg)
    const views = await this.deps.read(seg)
    if (!views) return
    this.reads++
    const index = this.indexes.get(conv)?.get(seg) ?? SegmentIndex.empty()
    const title = this.deps.titleOf(conv)
    const live = new Set<string>()
    let n = 0
    for (const v of views) {
      if (!indexable(v)) continue
      live.add(v.id)
      if (index.get(v.id)?.text === v.text) continue // already indexed as it reads (most of a segment)
      if (index.put({ ...v, authorName: this.deps.nameOf(conv, v.author), title }) && ++n % SLICE === 0) await this.deps.pause()
    }
    for (const id of [...index.ids()]) if (!live.has(id)) index.remove(id)
    if (this.stopped || this.forgotten.has(seg) || !this.deps.conversations().includes(conv)) return
    this.indexesOf(conv).set(seg, index)
    // Invariant 1: a change seen since the read began may not be in `views`: the mark stays.
    const ops = writeIndex(conv, seg, index, views.length)
    if (this.touched.has(seg)) this.write(ops.filter((op) => op.value !== undefined))
    else {
      this.marked.delete(seg)
      this.write(ops)
    }
  }

  private indexesOf(conv: ConvId): Map<DocId, SegmentIndex> {
    let map = this.indexes.get(conv)
    if (!map) this.indexes.set(conv, (map = new Map()))
    return map
  }

  /** Writes in the order they were made (a mark before the record that removes it), one at a time. */
  private write(ops: readonly WriteOp[]): void {
    if (this.stopped) return
    this.writes = this.writes.then(() => this.deps.store.write(ops)).catch(() => undefined)
  }
}

/** Messages with words to find: not a scanner's verdicts (no text), not one deleted for everyone. */
function indexable(m: MessageView): boolean {
  if ('deleted' in m && m.deleted === true) return false
  return m.text.trim().length > 0
}
