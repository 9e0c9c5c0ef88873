import * as A from '@automerge/automerge'
import { concat } from '../../../crypto/index.js'
import { Repo, interpretAsDocumentId, type AnyDocumentId, type DocHandle, type DocumentId } from '@automerge/automerge-repo'
import { idBytes, type DocId } from '../../../protocol/index.js'
import { Emitter } from '../events.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { RepoStorageAdapter } from '../storage/repoAdapter.js'

export interface DocChange {
  readonly doc: DocId
  readonly patches: A.Patch[]
  readonly local: boolean
}

/**
 * Local Automerge documents in an automerge-repo Repo with our storage adapter and no network
 * adapter: sync is ours (encrypted batches), and a Repo network adapter that is not ready would
 * hang `find` while offline (TOOLCHAIN.md).
 *
 * Invariant 1: every change this device makes carries actor = hex(device key) ([E10]).
 * Invariant 2: a document is materialised in the Repo only once it has at least one change,
 * so a handle is always ready.
 * Invariant 3 ([M71]): a dropped document is never loaded, changed or saved again: remote
 * changes for it are ignored, a local change is refused, and the storage adapter refuses its
 * chunks (a save automerge-repo scheduled before the drop lands nowhere).
 */
export class DocStore {
  readonly repo: Repo
  private readonly adapter: RepoStorageAdapter
  readonly events = new Emitter<{ change: DocChange }>()
  private readonly handles = new Map<DocId, Promise<DocHandle<unknown> | undefined>>()
  private applyingLocal = false

  /**
   * `genesis(id)`: a change every device makes identically to start that document, or undefined.
   * `dropped(id)`: the document was dropped on this device ([M71]; Invariant 3).
   */
  constructor(
    private readonly store: LocalStore,
    private readonly actor: string,
    private readonly genesis: (id: DocId) => Uint8Array | undefined = () => undefined,
    private readonly dropped: (id: DocId) => boolean = () => false,
  ) {
    this.adapter = new RepoStorageAdapter(store)
    this.repo = new Repo({ storage: this.adapter, network: [], sharePolicy: async () => false })
  }

  /**
   * The loaded document, loading it from storage on first use; undefined if it has no changes yet
   * (or was dropped). A document whose first changes came with a gap (their dependencies not
   * received yet, Automerge holds them) has none applied yet either: its handle is not ready.
   */
  async doc<T>(id: DocId): Promise<A.Doc<T> | undefined> {
    if (this.dropped(id)) return undefined
    const handle = await this.handle(id)
    return handle?.isReady() ? (handle.doc() as A.Doc<T>) : undefined
  }

  isLoaded(id: DocId): boolean {
    return this.handles.has(id)
  }

  /** Applies local changes in one Repo update and returns their bytes, in order. */
  async change<T>(id: DocId, fns: readonly A.ChangeFn<T>[], time?: number): Promise<Uint8Array[]> {
    if (this.dropped(id)) throw new Error('document dropped') // Invariant 3: writers skip dropped segments ([M71])
    const changes: Uint8Array[] = []
    const run = (doc: A.Doc<T>): A.Doc<T> => {
      for (const fn of fns) {
        const next = A.change(doc, time === undefined ? {} : { time: Math.floor(time / 1000) }, fn)
        if (next === doc) continue
        doc = next
        changes.push(A.getLastLocalChange(doc)!)
      }
      return doc
    }
    const handle = await this.handle(id)
    this.applyingLocal = true
    try {
      if (handle) (this.ours(handle) as DocHandle<T>).update(run)
      else await this.materialise(id, run(this.fresh<T>(id)))
    } finally {
      this.applyingLocal = false
    }
    return changes
  }

  /** Applies verified remote changes in one batch (batch apply is ~30× faster than one by one). */
  async apply(id: DocId, changes: readonly Uint8Array[]): Promise<void> {
    if (this.dropped(id)) return // Invariant 3: a frame in flight when it was dropped
    const handle = await this.handle(id)
    if (handle) handle.update((doc) => A.applyChanges(doc, changes as Uint8Array[])[0])
    // A new document (on a catch-up, every new segment): the Repo loads the changes themselves
    // (Automerge loads a run of change chunks as it loads a saved document); applying them to a
    // fresh document and saving it first was two more passes over it.
    else if (changes.length) {
      const genesis = this.genesis(id)
      await this.materialise(id, concat(...(genesis ? [genesis] : []), ...changes))
    }
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
   * [M71] Invariant 3: lets go of a dropped document: no save of it lands any more, and its
   * handle leaves the Repo. The caller erases its chunks and the rest (prune/erase.ts).
   */
  async forget(id: DocId): Promise<void> {
    this.adapter.refuse(documentId(id))
    const pending = this.handles.get(id)
    this.handles.delete(id)
    const handle = await pending?.catch(() => undefined)
    // Unloaded, not deleted: a deleted handle makes automerge-repo's own sync loop log errors.
    if (handle) await this.repo.removeFromCache(documentId(id))
  }

  /** Waits until the given documents are written to local storage. */
  async flush(ids: readonly DocId[]): Promise<void> {
    const loaded = ids.filter((id) => this.handles.has(id) && !this.dropped(id)).map(documentId)
    if (loaded.length) await this.repo.flush(loaded)
  }

  async shutdown(): Promise<void> {
    await this.repo.flush()
    await this.repo.shutdown()
    this.adapter.close()
  }

  private handle(id: DocId): Promise<DocHandle<unknown> | undefined> {
    let pending = this.handles.get(id)
    if (!pending) {
      pending = this.load(id)
      this.handles.set(id, pending)
      void pending.then((h) => h || this.handles.delete(id))
    }
    return pending
  }

  private async load(id: DocId): Promise<DocHandle<unknown> | undefined> {
    if (!(await this.store.get(['doc', id]))) return undefined
    try {
      const handle = await this.repo.find<unknown>(documentId(id))
      this.watch(id, handle)
      return handle
    } catch {
      return undefined // marker without data (crash between marker and save): rebuilt from changes
    }
  }

  /**
   * `doc`: the document, or its changes as bytes (change chunks one after the other). The Repo is
   * given the document whole: Automerge builds a loaded document once, where loading the same
   * changes into the Repo's empty document computed and applied a patch per field (about twice the
   * time: a catch-up's new segments were a third of its work). Changes with a gap (a dependency
   * not among them: Automerge refuses to load them whole), or a Repo that already holds some of
   * the document, take the incremental load as before (the changes after a gap wait for it).
   */
  private async materialise(id: DocId, doc: A.Doc<unknown> | Uint8Array): Promise<void> {
    const bytes = () => (doc instanceof Uint8Array ? doc : A.save(doc))
    const whole = (): A.Doc<unknown> | undefined => {
      if (!(doc instanceof Uint8Array)) return doc
      try {
        return A.load(doc)
      } catch {
        return undefined
      }
    }
    const handle = this.repo.import<unknown>(NOTHING, { docId: documentId(id) })
    handle.update((current) => (A.getHeads(current).length === 0 && whole()) || A.loadIncremental(current, bytes()))
    this.watch(id, handle)
    this.handles.set(id, Promise.resolve(handle))
    await this.store.write([{ key: ['doc', id], value: new Uint8Array([1]) }])
    this.events.emit('change', { doc: id, patches: [], local: this.applyingLocal })
  }

  /**
   * Invariant 1: the Repo loads a document with a random actor; it becomes ours (a clone,
   * O(document)) before this device's first change to it — not at every load: most documents a
   * device loads (others' segments) it never writes to.
   */
  private ours(handle: DocHandle<unknown>): DocHandle<unknown> {
    if (A.getActorId(handle.doc()) !== this.actor) handle.update((d) => (A.getActorId(d) === this.actor ? d : A.clone(d, { actor: this.actor as A.ActorId })))
    return handle
  }

  private watch(id: DocId, handle: DocHandle<unknown>): void {
    handle.on('change', ({ patches }) => this.events.emit('change', { doc: id, patches, local: this.applyingLocal }))
  }
}

/** No change chunk: `Repo.import` of it registers the document's handle and changes nothing. */
const NOTHING = new Uint8Array(0)

export function documentId(id: DocId): DocumentId {
  return interpretAsDocumentId(idBytes(id) as unknown as AnyDocumentId)
}
