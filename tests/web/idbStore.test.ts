import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compareKeys, type Key, type LocalStore } from '../../client/core/storage/LocalStore.js'
import { openIdbStore } from '../../client/web/idbStore.js'
import { localStoreContract } from '../client/localStore.contract.js'

/**
 * client/web/idbStore.ts against the LocalStore invariants (client/core/storage/LocalStore.ts),
 * on fake-indexeddb: native array keys must give tuple order and exact tuple-prefix ranges.
 */
const bytes = (...values: number[]) => Uint8Array.from(values)
const keysOf = async (store: LocalStore, prefix: Key) => (await store.range(prefix)).map((e) => e.key)

let dbName: string
let store: LocalStore
let counter = 0

// The contract every LocalStore runs (tests/client/localStore.contract.ts), with persistence.
const names = new WeakMap<LocalStore, string>()
localStoreContract('indexeddb (idb over fake-indexeddb)', {
  async open() {
    const name = `idb-contract-${counter++}`
    const s = await openIdbStore(name)
    names.set(s, name)
    return s
  },
  async reopen(s) {
    await s.close()
    const name = names.get(s)!
    const again = await openIdbStore(name)
    names.set(again, name)
    return again
  },
})

// Facets beyond the contract: fake-indexeddb specifics, failed-op atomicity, deep tuple prefixes.
describe('idbStore', () => {
  beforeEach(async () => {
    dbName = `idb-test-${counter++}`
    store = await openIdbStore(dbName)
  })
  afterEach(async () => {
    await store.close()
  })

  describe('get', () => {
    it('returns undefined for a missing key and the stored bytes for a present one', async () => {
      expect(await store.get(['nothing'])).toBeUndefined()
      await store.write([{ key: ['a', 'b'], value: bytes(1, 2, 3) }])
      expect(await store.get(['a', 'b'])).toEqual(bytes(1, 2, 3))
      expect(await store.get(['a'])).toBeUndefined()
      expect(await store.get(['a', 'b', 'c'])).toBeUndefined()
    })

    it('stores a copy: mutating the written array later changes nothing', async () => {
      const value = bytes(7)
      await store.write([{ key: ['k'], value }])
      value[0] = 9
      expect(await store.get(['k'])).toEqual(bytes(7))
    })

    it('keeps data across close and reopen', async () => {
      await store.write([{ key: ['identity'], value: bytes(42) }])
      await store.close()
      store = await openIdbStore(dbName)
      expect(await store.get(['identity'])).toEqual(bytes(42))
    })
  })

  describe('range (Invariant 2: exactly the tuple prefix, in tuple order)', () => {
    const all: Key[] = [
      ['a'],
      ['a', ''],
      ['a', 'b'],
      ['a', 'b', '0'],
      ['a', 'b', '1'],
      ['a', 'b', '1', 'x'],
      ['a', 'b', '10'],
      ['a', 'b', '2'],
      ['a', 'b', '\uffff\uffff'],
      ['a', 'b\u0000'],
      ['a', 'bb'],
      ['a', 'c'],
      ['ab'],
      ['b', 'a'],
      ['\u00e9'],
    ]

    beforeEach(async () => {
      // Written in reverse so any ordering in the result comes from the store, not from insertion.
      await store.write([...all].reverse().map((key, i) => ({ key, value: bytes(i) })))
    })

    it('returns the exact prefix key and every longer key that starts with it, nothing else', async () => {
      expect(await keysOf(store, ['a', 'b'])).toEqual([['a', 'b'], ['a', 'b', '0'], ['a', 'b', '1'], ['a', 'b', '1', 'x'], ['a', 'b', '10'], ['a', 'b', '2'], ['a', 'b', '\uffff\uffff']])
      expect(await keysOf(store, ['a', 'b', '1'])).toEqual([['a', 'b', '1'], ['a', 'b', '1', 'x']])
      expect(await keysOf(store, ['a', 'c'])).toEqual([['a', 'c']])
      expect(await keysOf(store, ['a', 'z'])).toEqual([])
      expect(await keysOf(store, ['b'])).toEqual([['b', 'a']])
    })

    it('treats key parts as whole strings: ["a"] does not match ["ab"], ["a","b"] does not match ["a","bb"]', async () => {
      const a = await keysOf(store, ['a'])
      expect(a).not.toContainEqual(['ab'])
      expect(a).toHaveLength(12)
      expect(await keysOf(store, ['a', 'b'])).not.toContainEqual(['a', 'bb'])
    })

    it('orders like compareKeys, and the empty prefix returns everything', async () => {
      const everything = await keysOf(store, [])
      expect(everything).toEqual([...all].sort(compareKeys))
      for (const prefix of [['a'], ['a', 'b'], ['b']]) {
        const got = await keysOf(store, prefix)
        expect(got).toEqual([...got].sort(compareKeys))
      }
    })

    it('returns each key with its own value', async () => {
      const entries = await store.range(['a', 'b', '1'])
      for (const e of entries) expect(await store.get(e.key)).toEqual(e.value)
    })
  })

  describe('write (Invariant 1: atomic)', () => {
    it('applies puts and deletes of one call in order', async () => {
      await store.write([{ key: ['x'], value: bytes(1) }, { key: ['y'], value: bytes(2) }])
      await store.write([
        { key: ['x'], value: undefined },
        { key: ['y'], value: bytes(3) },
        { key: ['z'], value: bytes(4) },
        { key: ['z'], value: undefined },
        { key: ['w'], value: undefined },
        { key: ['w'], value: bytes(5) },
      ])
      expect(await store.get(['x'])).toBeUndefined()
      expect(await store.get(['y'])).toEqual(bytes(3))
      expect(await store.get(['z'])).toBeUndefined()
      expect(await store.get(['w'])).toEqual(bytes(5))
    })

    it('commits nothing when one op of the call fails', async () => {
      await store.write([{ key: ['keep'], value: bytes(1) }])
      const badKey = [{}] as unknown as Key // not a valid IndexedDB key: the put throws
      await expect(
        store.write([
          { key: ['keep'], value: undefined },
          { key: ['new'], value: bytes(2) },
          { key: badKey, value: bytes(3) },
        ]),
      ).rejects.toThrow()
      expect(await store.get(['keep'])).toEqual(bytes(1))
      expect(await store.get(['new'])).toBeUndefined()
      // The store is still usable afterwards.
      await store.write([{ key: ['after'], value: bytes(4) }])
      expect(await store.get(['after'])).toEqual(bytes(4))
    })

    it('accepts an empty write', async () => {
      await store.write([])
      expect(await store.range([])).toEqual([])
    })
  })

  describe('removeRange', () => {
    it('removes the exact prefix key and keys under it, and leaves siblings and parents alone', async () => {
      const keys: Key[] = [['out'], ['out', 'raw'], ['out', 'raw', 'c1', 'd1', '01'], ['out', 'raw', 'c1', 'd2', '01'], ['out', 'rawx'], ['out', 'sealed', 'c1'], ['outbox']]
      await store.write(keys.map((key) => ({ key, value: bytes(0) })))
      await store.removeRange(['out', 'raw'])
      expect(await keysOf(store, [])).toEqual([['out'], ['out', 'rawx'], ['out', 'sealed', 'c1'], ['outbox']])
      await store.removeRange(['out'])
      expect(await keysOf(store, [])).toEqual([['outbox']])
    })

    it('is a no-op on an empty range', async () => {
      await store.write([{ key: ['a'], value: bytes(1) }])
      await store.removeRange(['b'])
      expect(await keysOf(store, [])).toEqual([['a']])
    })
  })
})
