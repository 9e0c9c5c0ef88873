import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import type { LocalStore } from './LocalStore.js'

/** automerge-repo's storage interface over our LocalStore, under the `am` prefix. */
export class RepoStorageAdapter implements StorageAdapterInterface {
  constructor(private readonly store: LocalStore) {}
  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.store.get(['am', ...key])
  }
  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.store.write([{ key: ['am', ...key], value: data }])
  }
  remove(key: StorageKey): Promise<void> {
    return this.store.write([{ key: ['am', ...key], value: undefined }])
  }
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const entries = await this.store.range(['am', ...keyPrefix])
    return entries.map((e) => ({ key: e.key.slice(1), data: e.value }))
  }
  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.store.removeRange(['am', ...keyPrefix])
  }
}
