import { expect, test } from 'vitest'
import { randomBytes, toBase64Url, type EpochKey } from '../../crypto/index.js'
import type { ConvId } from '../../protocol/index.js'
import { Registry } from '../../client/core/conversations/registry.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'

/** A store that counts the writes of conversation records. */
function counting(store: LocalStore): { store: LocalStore; convWrites: () => number } {
  let n = 0
  return {
    store: new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'write') return (entries: Parameters<LocalStore['write']>[0]) => ((n += entries.filter((e) => e.key[0] === 'conv').length), target.write(entries))
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    }),
    convWrites: () => n,
  }
}

test('a conversation record that did not change is not written again (every space is updated as the team loads, at every start); one that changed is, and reads back', async () => {
  const memory = createMemoryStore()
  const conv = toBase64Url(randomBytes(16)) as ConvId
  const rec = { conv, title: 'Depot', epoch: 1, keys: new Map([[1, randomBytes(32) as EpochKey]]), joinedAt: 1_700_000_000_000 }
  const first = counting(memory)
  const registry = new Registry(first.store)
  await registry.load()
  await registry.put(rec)
  await registry.update(conv, (r) => ({ ...r }))
  expect(first.convWrites()).toBe(1)

  const second = counting(memory)
  const again = new Registry(second.store)
  await again.load()
  await again.update(conv, (r) => ({ ...r, keys: new Map(r.keys) }))
  expect(second.convWrites()).toBe(0)
  await again.update(conv, (r) => ({ ...r, title: 'Depot north' }))
  expect(second.convWrites()).toBe(1)
  const third = new Registry(memory)
  await third.load()
  expect(third.get(conv)?.title).toBe('Depot north')
})
