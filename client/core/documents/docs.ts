import * as A from '@automerge/automerge'
import { concat } from '../../../crypto/index.js'
import type { DocId } from '../../../protocol/index.js'
import { Emitter } from '../events.js'
import type { LocalStore, WriteOp } from '../storage/LocalStore.js'
import { chunkWrite, loadChunks, loadDocument, type ChunkInfo } from './docChunks.js'
import { SEGMENT_LIST, type SegmentEntry } from './model.js'

export { documentId } from './docChunks.js'

export interface DocChange {
  readonly doc: DocId
  readonly local: boolean
  /** The document's version after the change (see `versionOf`). */
  readonly version: number
  /**
   * [M3b] A change that only added these entries to a segment's list, made or applied without
   * updating the JavaScript document: a reader whose copy is at `before` adds them and is at
   * `version`. Absent: read the document.
   */
  readonly appended?: { readonly before: number; readonly entries: readonly SegmentEntry[] }
}

/** A loaded document, what of it is stored, and its save in progress or scheduled. */
interface Loaded {
  doc: A.Doc<unknown>
  /** Heads of what is stored (empty: nothing yet). */
  saved: A.Heads
  /** Its chunks in the store ([M3a]), for the compaction that replaces them. */
  chunks: ChunkInfo[]
  /** The save running or last run: saves of one document follow each other. */
  saving: Promise<void>
  timer?: ReturnType<typeof setTimeout>
  lastSaveAt: number
  /** Counts the changes to the document held here (readers compare it with what they read). */
  version: number
  /**
   * [M3b] `doc` lags its Automerge backend: changes were made or applied on the backend alone.
   * The backend (heads, saves, changes) is always current; `doc` is brought up to it when read.
   */
  stale: boolean
}

/** A document is saved no more often than this after its changes (automerge-repo's default). */
const SAVE_EVERY_MS = 100

/**
 * The device's Automerge documents, held in memory once loaded and saved to the local store in
 * chunks ([M3a], docChunks.ts). Sync is ours (encrypted batches), so no network layer: earlier
 * versions kept the documents in an automerge-repo Repo without one, and its handle cost a state
 * machine and a second diff of the document per change, for patches nothing read (README
 * "Engine speed"). The stored format is the Repo's, so documents stored then load now.
 *
 * Invariant 1: every change this device makes carries actor = hex(device key) ([E10]): every
 * document is created and loaded with that actor.
 * Invariant 2: a document exists here only once it has at least one change (or change held
 * for a missing dependency); `doc/<id>` marks that it has chunks, written with the first.
 * Invariant 3 ([M71]): a dropped document is never loaded, changed or saved again: remote
 * changes for it are ignored, a local change is refused, and a save scheduled before the drop
 * writes nothing.
 * Invariant 4: after `shutdown` nothing is written: the engine flushed every document first, and
 * a change handled as it stops is not worth a write to a closed store.
 */
export class DocStore {
  readonly events = new Emitter<{ change: DocChange }>()
  private readonly loaded = new Map<DocId, Promise<Loaded | undefined>>()
  /**
   * The documents held, once loaded or created: two callers that found a document absent (a
   * frame and a local write for a new segment, or two frames) both look here after their wait,
   * so the second adds to what the first created instead of replacing it.
   */
  private readonly held = new Map<DocId, Loaded>()
  private closed = false

  /**
   * `genesis(id)`: a change every device makes identically to start that document, or undefined.
   * `dropped(id)`: the document was dropped on this device ([M71]; Invariant 3).
   */
  constructor(
    private readonly store: LocalStore,
    private readonly actor: string,
    private readonly genesis: (id: DocId) => Uint8Array | undefined = () => undefined,
    private readonly dropped: (id: DocId) => boolean = () => false,
  ) {}

  /**
   * The document, loading it from storage on first use; undefined if it has no changes yet (or
   * was dropped). A document whose first changes came with a gap (their dependencies not received
   * yet: Automerge holds them) has none applied yet either.
   */
  async doc<T>(id: DocId): Promise<A.Doc<T> | undefined> {
    return (await this.docAt<T>(id))?.doc
  }

  /** The document as `doc` gives it, and the version it is at (taken together). */
  async docAt<T>(id: DocId): Promise<{ doc: A.Doc<T>; version: number } | undefined> {
    if (this.dropped(id)) return undefined
    const entry = await this.entry(id)
    if (!entry) return undefined
    const doc = this.current(entry)
    return A.getHeads(doc).length ? { doc: doc as A.Doc<T>, version: entry.version } : undefined
  }

  /** The version of a document held here (undefined when it is not loaded). */
  versionOf(id: DocId): number | undefined {
    return this.held.get(id)?.version
  }

  isLoaded(id: DocId): boolean {
    return this.loaded.has(id)
  }

  /**
   * [M3b] Brings a stale document up to its backend: Automerge computes the patches since the
   * document was last updated and applies them (an empty applyChanges does exactly that).
   */
  private current(entry: Loaded): A.Doc<unknown> {
    if (entry.stale) {
      entry.doc = A.applyChanges(entry.doc, [])[0]
      entry.stale = false
    }
    return entry.doc
  }

  /**
   * Applies local changes and returns their bytes, in order. `after`: called with the document as
   * they left it, before anything else (a listener of the change event included) sees it.
   */
  async change<T>(id: DocId, fns: readonly A.ChangeFn<T>[], time?: number, after?: (doc: A.Doc<T>) => void): Promise<Uint8Array[]> {
    if (this.dropped(id)) throw new Error('document dropped') // Invariant 3: writers skip dropped segments ([M71])
    const changes: Uint8Array[] = []
    const options = time === undefined ? {} : { time: Math.floor(time / 1000) }
    const run = (doc: A.Doc<T>): A.Doc<T> => {
      for (const fn of fns) {
        const next = A.change(doc, options, fn)
        if (next === doc) continue
        doc = next
        changes.push(A.getLastLocalChange(doc)!)
      }
      return doc
    }
    const entry = (await this.entry(id)) ?? this.held.get(id)
    // A.change brings a stale document up to date with its own change ([M3b]).
    const doc = run(entry ? (entry.doc as A.Doc<T>) : this.fresh<T>(id))
    after?.(doc)
    if (!entry) this.create(id, doc, true)
    else if (changes.length) ((entry.doc = doc), (entry.stale = false), this.changed(id, entry, true))
    return changes
  }

  /**
   * [M3b] Appends records to the end of a segment's message list as one local change, made on
   * Automerge's backend: the JavaScript document is not updated (Automerge's change updates it
   * with a patch per field, most of a bot burst's writing), and the change event carries the new
   * entries. Returns the change and the new objects' ids, or undefined when the segment is not
   * held here yet or has no genesis list (the caller makes the change with `change`).
   */
  async append(id: DocId, records: readonly object[], time?: number): Promise<{ change: Uint8Array; ids: string[] } | undefined> {
    if (this.dropped(id)) throw new Error('document dropped') // Invariant 3
    const held = (await this.entry(id)) ?? this.held.get(id)
    if (this.dropped(id)) throw new Error('document dropped')
    // A new segment starts from its genesis, as `change` would start it.
    const doc = held?.doc ?? (this.genesis(id) ? this.fresh(id) : undefined)
    if (!doc || !records.length) return undefined
    const backend = A.getBackend(doc)
    const list = backend.getWithType('_root', 'messages')
    if (!list || list[0] !== 'list' || list[1] !== SEGMENT_LIST) return undefined
    const at = backend.length(SEGMENT_LIST)
    let change: Uint8Array | null
    let ids: string[]
    try {
      backend.spliceFromHydrate(SEGMENT_LIST, at, 0, records)
      const hash = backend.commit(undefined, Math.floor((time ?? Date.now()) / 1000))
      backend.integrate()
      change = backend.getLastLocalChange()
      ids = appendedIds(backend, hash, at, records)
    } catch (err) {
      if (backend.pendingOps()) backend.rollback()
      throw err
    }
    if (!change) throw new Error('append made no change')
    const entries = records.map((rec, i) => ({ id: ids[i]!, rec }))
    if (!held) this.create(id, doc, true, entries)
    else ((held.stale = true), this.changed(id, held, true, { before: held.version, entries }))
    return { change, ids }
  }

  /**
   * Applies verified remote changes in one batch (batch apply is ~30× faster than one by one).
   * `entries`: what the changes add to a segment's list, when that is all they do (writeRules'
   * reading of them, [M3b]): they are applied on the backend alone, and the change event carries
   * the entries, unless a change waits for a dependency (then the document is read as usual).
   */
  async apply(id: DocId, changes: readonly Uint8Array[], entries?: readonly SegmentEntry[]): Promise<void> {
    if (this.dropped(id) || !changes.length) return // Invariant 3: a frame in flight when it was dropped
    const entry = (await this.entry(id)) ?? this.held.get(id)
    if (this.dropped(id)) return // Invariant 3: dropped while it loaded
    if (entry && entries && this.applyAppended(id, entry, changes, entries)) return
    if (entry) {
      const before = A.getHeads(entry.doc)
      entry.doc = A.applyChanges(entry.doc, changes as Uint8Array[])[0]
      entry.stale = false
      if (!sameHeads(before, A.getHeads(entry.doc))) this.changed(id, entry, false)
      return
    }
    if (entries && this.genesis(id)) {
      // [M3b] A new segment: its genesis, then the changes on the backend alone.
      const doc = this.fresh(id)
      const backend = A.getBackend(doc)
      backend.applyChanges(changes as Uint8Array[])
      if (!backend.getMissingDeps().length) return this.create(id, doc, false, entries)
      return this.create(id, A.applyChanges(doc, [])[0], false)
    }
    // A new document (on a catch-up, every new segment) is loaded from the changes themselves:
    // Automerge builds a loaded document once, where applying them to an empty one computes and
    // applies a patch per field (about twice the time).
    const genesis = this.genesis(id)
    this.create(id, loadDocument(concat(...(genesis ? [genesis] : []), ...changes), this.actor), false)
  }

  /**
   * [M3b] The backend-only apply: true when done (every change applied, none waiting for a
   * dependency, none before them waiting either). A change that waits, or one that was already
   * here, makes it bring the document up to date and announce an ordinary change instead.
   */
  private applyAppended(id: DocId, entry: Loaded, changes: readonly Uint8Array[], entries: readonly SegmentEntry[]): boolean {
    const backend = A.getBackend(entry.doc)
    if (backend.getMissingDeps().length) return false
    const heads = backend.getHeads()
    try {
      backend.applyChanges(changes as Uint8Array[])
    } catch (err) {
      // Some may be in: the document is brought up to whatever the backend holds when read.
      if (!sameHeads(heads, backend.getHeads())) ((entry.stale = true), this.changed(id, entry, false))
      throw err
    }
    if (sameHeads(heads, backend.getHeads())) return true
    entry.stale = true
    if (backend.getMissingDeps().length) {
      this.current(entry) // one of them waits: what was applied is read from the document
      this.changed(id, entry, false)
    } else this.changed(id, entry, false, { before: entry.version, entries })
    return true
  }

  private fresh<T>(id: DocId): A.Doc<T> {
    const doc = A.init<T>({ actor: this.actor as A.ActorId })
    const genesis = this.genesis(id)
    return genesis ? A.applyChanges(doc, [genesis])[0] : doc
  }

  /** Every change this device made to a document (for snapshots of its own log, [E12]). */
  async ownChanges(id: DocId): Promise<Uint8Array[]> {
    const doc = await this.doc<unknown>(id)
    if (!doc) return []
    return A.getAllChanges(doc).filter((c) => A.decodeChange(c).actor === this.actor)
  }

  /**
   * [M71] Invariant 3: lets go of a dropped document: no save of it lands any more. The caller
   * erases its chunks and the rest (prune/erase.ts).
   */
  async forget(id: DocId): Promise<void> {
    const pending = this.loaded.get(id)
    this.loaded.delete(id)
    this.held.delete(id)
    const entry = await pending?.catch(() => undefined)
    if (entry?.timer) clearTimeout(entry.timer)
    await entry?.saving
  }

  /** Waits until the given documents are written to local storage (a failed write rejects). */
  async flush(ids: readonly DocId[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const entry = this.loaded.has(id) && !this.dropped(id) ? await this.loaded.get(id) : undefined
        if (entry) await this.saveNow(id, entry)
      }),
    )
  }

  async shutdown(): Promise<void> {
    await this.flush([...this.loaded.keys()])
    this.closed = true // Invariant 4
  }

  private entry(id: DocId): Promise<Loaded | undefined> {
    let pending = this.loaded.get(id)
    if (!pending) {
      pending = this.load(id)
      this.loaded.set(id, pending)
      void pending.then((e) => e || (this.loaded.get(id) === pending && this.loaded.delete(id)))
    }
    return pending
  }

  private async load(id: DocId): Promise<Loaded | undefined> {
    if (!(await this.store.get(['doc', id]))) return undefined
    // A marker without chunks (a crash between marker and save) or chunks that do not load:
    // none here, and the document is rebuilt from its changes.
    const found = await loadChunks(this.store, id)
    if (!found) return undefined
    try {
      const doc = loadDocument<unknown>(found.bytes, this.actor)
      // Version 1, never 0: 0 is a new document's (genesis alone), on which a reader with no copy
      // may start from nothing ([M3b], SegmentWindow.appended); a stored one holds more.
      const entry: Loaded = { doc, saved: A.getHeads(doc), chunks: found.chunks, saving: Promise.resolve(), lastSaveAt: 0, version: 1, stale: false }
      if (this.loaded.has(id)) this.held.set(id, entry)
      return entry
    } catch {
      return undefined
    }
  }

  /**
   * Invariant 2: a document's first changes: held, and saved with its marker a moment later.
   * `appended`: its changes were applied on the backend alone and added these entries ([M3b]).
   */
  private create(id: DocId, doc: A.Doc<unknown>, local: boolean, appended?: readonly SegmentEntry[]): void {
    const entry: Loaded = { doc, saved: [], chunks: [], saving: Promise.resolve(), lastSaveAt: 0, version: 0, stale: !!appended }
    this.loaded.set(id, Promise.resolve(entry))
    this.held.set(id, entry)
    this.changed(id, entry, local, appended && { before: 0, entries: appended })
  }

  private changed(id: DocId, entry: Loaded, local: boolean, appended?: DocChange['appended']): void {
    entry.version++
    this.schedule(id, entry)
    this.events.emit('change', { doc: id, local, version: entry.version, ...(appended ? { appended } : {}) })
  }

  private schedule(id: DocId, entry: Loaded): void {
    if (entry.timer || this.closed) return
    const wait = Math.max(0, entry.lastSaveAt + SAVE_EVERY_MS - Date.now())
    entry.timer = setTimeout(() => {
      entry.timer = undefined
      // A failed write is tried again at the next change or flush; flush reports it.
      this.saveNow(id, entry).catch(() => undefined)
    }, wait)
  }

  /** Saves what is not stored yet, after the save before it. */
  private saveNow(id: DocId, entry: Loaded): Promise<void> {
    if (entry.timer) (clearTimeout(entry.timer), (entry.timer = undefined))
    const run = entry.saving.catch(() => undefined).then(() => this.save(id, entry))
    entry.saving = run
    return run
  }

  /**
   * One save: the changes since the last as an incremental chunk, or, once the incremental chunks
   * outweigh the snapshot (or the document is small), the whole document as a snapshot replacing
   * every chunk before it, in one atomic write.
   */
  private async save(id: DocId, entry: Loaded): Promise<void> {
    if (this.closed || this.loaded.get(id) === undefined || this.dropped(id)) return // Invariants 3 and 4
    const doc = entry.doc
    const heads = A.getHeads(doc)
    if (sameHeads(heads, entry.saved)) return
    entry.lastSaveAt = Date.now()
    let snapshot = 0
    let incremental = 0
    for (const c of entry.chunks) c.kind === 'snapshot' ? (snapshot += c.size) : (incremental += c.size)
    const whole = !entry.saved.length || snapshot < 1024 || incremental >= snapshot
    const op = chunkWrite(id, whole ? 'snapshot' : 'incremental', heads, whole ? A.save(doc) : A.saveSince(doc, entry.saved))
    const replaced: WriteOp[] = whole ? entry.chunks.filter((c) => c.key.join('/') !== op.key.join('/')).map((c) => ({ key: c.key, value: undefined })) : []
    // The first save writes the marker with the first chunk (Invariant 2).
    const marker: WriteOp[] = entry.saved.length ? [] : [{ key: ['doc', id], value: new Uint8Array([1]) }]
    await this.store.write([...marker, { key: op.key, value: op.value }, ...replaced])
    entry.chunks = whole ? [op.info] : [...entry.chunks, op.info]
    entry.saved = heads
  }
}

/**
 * [M3b] The object ids of records just inserted into a list with one splice: Automerge creates
 * the inserted maps first, one op each, then their fields, so for records of scalar fields alone
 * they are the change's first ops, in order (checked: the op count, the first and the last).
 * Otherwise each is asked of the list.
 */
function appendedIds(backend: ReturnType<typeof A.getBackend>, hash: string | null, at: number, records: readonly object[]): string[] {
  const meta = hash ? backend.getChangeMetaByHash(hash) : null
  const ask = () => records.map((_, i) => String(backend.get(SEGMENT_LIST, at + i)))
  if (!meta) return ask()
  let ops = 0
  for (const rec of records) {
    ops++
    for (const v of Object.values(rec)) {
      if (v === undefined) continue
      if (typeof v === 'object' && v !== null && !(v instanceof A.ImmutableString)) return ask()
      if (typeof v === 'string') return ask() // a plain string would be collaborative text: more ops
      ops++
    }
  }
  if (meta.maxOp - meta.startOp + 1 !== ops) return ask()
  const ids = records.map((_, i) => `${meta.startOp + i}@${meta.actor}`)
  const n = records.length
  return ids[0] === String(backend.get(SEGMENT_LIST, at)) && ids[n - 1] === String(backend.get(SEGMENT_LIST, at + n - 1)) ? ids : ask()
}

function sameHeads(a: A.Heads, b: A.Heads): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
