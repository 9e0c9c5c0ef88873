import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import type { LocalStore } from './LocalStore.js'

/**
 * automerge-repo's storage interface over our LocalStore, under the `am` prefix. After `close`
 * (the engine flushed every document and stops), writes are dropped: automerge-repo's shutdown
 * flushes but leaves its throttled saves scheduled, and one firing on a closed store rejected
 * unhandled and ended the process. Nothing is lost: the flush wrote the same documents.
 */
export class RepoStorageAdapter implements StorageAdapterInterface {
  private closed = false
  /** [M71] Documents dropped on this device: a save automerge-repo scheduled before the drop writes nothing. */
  private readonly refused = new Set<string>()
  constructor(private readonly store: LocalStore) {}

  close(): void {
    this.closed = true
  }

  refuse(documentId: string): void {
    this.refused.add(documentId)
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.store.get(['am', ...key])
  }
  save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (this.closed || this.refused.has(key[0]!)) return Promise.resolve()
    return this.store.write([{ key: ['am', ...key], value: data }])
  }
  remove(key: StorageKey): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.store.write([{ key: ['am', ...key], value: undefined }])
  }
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const entries = await this.store.range(['am', ...keyPrefix])
    return entries.map((e) => ({ key: e.key.slice(1), data: e.value }))
  }
  removeRange(keyPrefix: StorageKey): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.store.removeRange(['am', ...keyPrefix])
  }
}
