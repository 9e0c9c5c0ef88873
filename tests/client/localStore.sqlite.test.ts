import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { localStoreContract } from './localStore.contract.js'

const files = new WeakMap<LocalStore, string>()
function open(file = join(mkdtempSync(join(tmpdir(), 'fieldchat-localstore-')), 'device.sqlite')): LocalStore {
  const store = openSqliteLocalStore(file)
  files.set(store, file)
  return store
}

localStoreContract('sqlite', {
  open: () => open(),
  async reopen(store) {
    await store.close()
    return open(files.get(store)!)
  },
})

test('[M4] invariant 1 (sqlite): a batch that fails part-way leaves nothing of it behind', async () => {
  const store = open()
  await store.write([{ key: ['keep'], value: Uint8Array.of(1) }])
  // A key part containing the separator is refused by the store: the op before it must roll back.
  await expect(store.write([
    { key: ['new'], value: Uint8Array.of(2) },
    { key: ['keep'], value: undefined },
    { key: ['bad\u0000part'], value: Uint8Array.of(3) },
  ])).rejects.toThrow()
  expect((await store.range([])).map((e) => e.key)).toEqual([['keep']])
  await store.close()
})
