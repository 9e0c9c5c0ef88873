import * as A from '@automerge/automerge'
import { concat } from '../../../crypto/index.js'
import type { DocId } from '../../../protocol/index.js'
import { Emitter } from '../events.js'
import type { LocalStore, WriteOp } from '../storage/LocalStore.js'
import { chunkWrite, loadChunks, loadDocument, type ChunkInfo } from './docChunks.js'

export { documentId } from './docChunks.js'

export interface DocChange {
  readonly doc: DocId
  readonly local: boolean
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
    if (this.dropped(id)) return undefined
    const doc = (await this.entry(id))?.doc
    return doc && A.getHeads(doc).length ? (doc as A.Doc<T>) : undefined
  }

  isLoaded(id: DocId): boolean {
    return this.loaded.has(id)
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
    const doc = run(entry ? (entry.doc as A.Doc<T>) : this.fresh<T>(id))
    after?.(doc)
    if (!entry) this.create(id, doc, true)
    else if (changes.length) ((entry.doc = doc), this.changed(id, entry, true))
    return changes
  }

  /** Applies verified remote changes in one batch (batch apply is ~30× faster than one by one). */
  async apply(id: DocId, changes: readonly Uint8Array[]): Promise<void> {
    if (this.dropped(id) || !changes.length) return // Invariant 3: a frame in flight when it was dropped
    const entry = (await this.entry(id)) ?? this.held.get(id)
    if (entry) {
      const before = A.getHeads(entry.doc)
      entry.doc = A.applyChanges(entry.doc, changes as Uint8Array[])[0]
      if (!sameHeads(before, A.getHeads(entry.doc))) this.changed(id, entry, false)
      return
    }
    // A new document (on a catch-up, every new segment) is loaded from the changes themselves:
    // Automerge builds a loaded document once, where applying them to an empty one computes and
    // applies a patch per field (about twice the time).
    const genesis = this.genesis(id)
    this.create(id, loadDocument(concat(...(genesis ? [genesis] : []), ...changes), this.actor), false)
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
      const entry: Loaded = { doc, saved: A.getHeads(doc), chunks: found.chunks, saving: Promise.resolve(), lastSaveAt: 0 }
      if (this.loaded.has(id)) this.held.set(id, entry)
      return entry
    } catch {
      return undefined
    }
  }

  /** Invariant 2: a document's first changes: held, and saved with its marker a moment later. */
  private create(id: DocId, doc: A.Doc<unknown>, local: boolean): void {
    const entry: Loaded = { doc, saved: [], chunks: [], saving: Promise.resolve(), lastSaveAt: 0 }
    this.loaded.set(id, Promise.resolve(entry))
    this.held.set(id, entry)
    this.changed(id, entry, local)
  }

  private changed(id: DocId, entry: Loaded, local: boolean): void {
    this.schedule(id, entry)
    this.events.emit('change', { doc: id, local })
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

function sameHeads(a: A.Heads, b: A.Heads): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
