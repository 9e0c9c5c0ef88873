import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { compareKeys, type Key, type LocalStore } from '../../client/core/storage/LocalStore.js'

/**
 * The contract every LocalStore runs ([M4], invariants 1–2 of client/core/storage/LocalStore.ts):
 * memory and SQLite here, IndexedDB in tests/web. `reopen`, when given, closes the store and opens
 * the same underlying storage again, so persistence is checked too.
 */
export interface LocalStoreFactory {
  open(): LocalStore | Promise<LocalStore>
  reopen?(store: LocalStore): Promise<LocalStore>
}

const bytes = (...values: number[]) => Uint8Array.from(values)
const keysOf = async (store: LocalStore, prefix: Key) => (await store.range(prefix)).map((e) => e.key)
const put = (key: Key, value: Uint8Array) => ({ key, value })
const del = (key: Key) => ({ key, value: undefined })

/** Keys chosen to trip naive implementations: string prefixes, empty parts, LIKE wildcards, separators. */
const TRICKY: Key[] = [
  ['a'],
  ['a', ''],
  ['a', 'b'],
  ['a', 'b', 'c'],
  ['a', 'bc'],
  ['a\u0001'],
  ['a/b'],
  ['a%'],
  ['a_'],
  ['ab'],
  ['ab', 'c'],
  ['b'],
  ['B'],
  ['é'],
  ['conv', '0000000000000009'],
  ['conv', '0000000000000010'],
]

export function localStoreContract(name: string, factory: LocalStoreFactory): void {
  describe(`LocalStore contract: ${name}`, () => {
    let store: LocalStore
    beforeEach(async () => {
      store = await factory.open()
    })
    afterEach(async () => {
      await store.close()
    })

    async function fill(keys: readonly Key[]): Promise<void> {
      await store.write(keys.map((k, i) => put(k, bytes(i))))
    }

    describe('get', () => {
      test('[M4] a missing key is undefined; a written key returns its bytes', async () => {
        expect(await store.get(['nothing'])).toBeUndefined()
        await store.write([put(['a', 'b'], bytes(1, 2, 3))])
        expect(await store.get(['a', 'b'])).toEqual(bytes(1, 2, 3))
      })

      test('[M4] get matches whole tuples only: neither a prefix nor a longer key nor a joined spelling', async () => {
        await store.write([put(['a', 'b'], bytes(1))])
        expect(await store.get(['a'])).toBeUndefined()
        expect(await store.get(['a', 'b', 'c'])).toBeUndefined()
        expect(await store.get(['ab'])).toBeUndefined()
        expect(await store.get(['a', 'b', ''])).toBeUndefined()
      })

      test('[M4] an empty value is stored and read back as present, and a large one intact', async () => {
        const large = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31) & 0xff)
        await store.write([put(['empty'], new Uint8Array(0)), put(['large'], large)])
        const empty = await store.get(['empty'])
        expect(empty).toBeInstanceOf(Uint8Array)
        expect(empty!.length).toBe(0)
        const back = (await store.get(['large']))!
        // A byte loop: deep equality on a megabyte takes seconds in the matcher.
        expect(back.length).toBe(large.length)
        expect(back.every((b, i) => b === large[i])).toBe(true)
      })

      test('[M4] values come back as plain Uint8Array (not a Node Buffer or another view type)', async () => {
        await store.write([put(['k'], bytes(7, 8))])
        expect((await store.get(['k']))!.constructor).toBe(Uint8Array)
        expect((await store.range(['k']))[0]!.value.constructor).toBe(Uint8Array)
      })
    })

    describe('range', () => {
      test('[M4] invariant 2: prefix [a] returns exactly the keys whose first part is "a", never [ab] or [a\\u0001]', async () => {
        await fill(TRICKY)
        expect(await keysOf(store, ['a'])).toEqual([['a'], ['a', ''], ['a', 'b'], ['a', 'b', 'c'], ['a', 'bc']])
      })

      test('[M4] invariant 2: a two-part prefix matches whole parts only', async () => {
        await fill(TRICKY)
        expect(await keysOf(store, ['a', 'b'])).toEqual([['a', 'b'], ['a', 'b', 'c']])
        expect(await keysOf(store, ['a', ''])).toEqual([['a', '']])
        expect(await keysOf(store, ['ab'])).toEqual([['ab'], ['ab', 'c']])
        expect(await keysOf(store, ['a%'])).toEqual([['a%']])
        expect(await keysOf(store, ['a_'])).toEqual([['a_']])
      })

      test('[M4] a prefix with no match returns nothing; a full key as prefix returns it and its children', async () => {
        await fill(TRICKY)
        expect(await keysOf(store, ['zzz'])).toEqual([])
        expect(await keysOf(store, ['a', 'b', 'c'])).toEqual([['a', 'b', 'c']])
        expect(await keysOf(store, ['a', 'b', 'c', 'd'])).toEqual([])
      })

      test('[M4] the empty prefix returns every key, in tuple order', async () => {
        const keys = [...TRICKY].reverse()
        await fill(keys)
        const expected = [...TRICKY].sort(compareKeys)
        expect(await keysOf(store, [])).toEqual(expected)
      })

      test('[M4] tuple order: element by element, a shorter tuple before its extensions, zero-padded numbers numerically', async () => {
        await fill([...TRICKY].reverse())
        const got = await keysOf(store, [])
        for (let i = 1; i < got.length; i++) expect(compareKeys(got[i - 1]!, got[i]!), `${JSON.stringify(got[i - 1])} < ${JSON.stringify(got[i])}`).toBeLessThan(0)
        expect(got.findIndex((k) => k[0] === 'a' && k.length === 1)).toBeLessThan(got.findIndex((k) => k[0] === 'a' && k[1] === ''))
        expect(await keysOf(store, ['conv'])).toEqual([['conv', '0000000000000009'], ['conv', '0000000000000010']])
      })

      test('[M4] tuple order compares UTF-16 code units, as IndexedDB does (astral characters before U+FFFF)', async () => {
        const keys: Key[] = [['\uffff'], ['\u{1F600}'], ['\ue000'], ['z'], ['\u{10000}', 'x']]
        await fill(keys)
        expect(await keysOf(store, [])).toEqual([...keys].sort(compareKeys))
        expect(await keysOf(store, ['\u{1F600}'])).toEqual([['\u{1F600}']])
      })

      test('[M4] range returns the stored values with their keys', async () => {
        await store.write([put(['p', '1'], bytes(1)), put(['p', '2'], bytes(2, 2))])
        expect(await store.range(['p'])).toEqual([
          { key: ['p', '1'], value: bytes(1) },
          { key: ['p', '2'], value: bytes(2, 2) },
        ])
      })
    })

    describe('write', () => {
      test('[M4] invariant 1: one batch of puts and deletes is applied together', async () => {
        await store.write([put(['x', '1'], bytes(1)), put(['x', '2'], bytes(2)), put(['x', '3'], bytes(3))])
        await store.write([del(['x', '1']), put(['x', '2'], bytes(22)), del(['x', '3']), put(['x', '4'], bytes(4))])
        expect(await store.range(['x'])).toEqual([
          { key: ['x', '2'], value: bytes(22) },
          { key: ['x', '4'], value: bytes(4) },
        ])
      })

      test('[M4] within one batch later operations on a key win, in order', async () => {
        await store.write([put(['k', '1'], bytes(1)), del(['k', '1']), del(['k', '2']), put(['k', '2'], bytes(2)), put(['k', '3'], bytes(3)), put(['k', '3'], bytes(33))])
        expect(await store.range(['k'])).toEqual([
          { key: ['k', '2'], value: bytes(2) },
          { key: ['k', '3'], value: bytes(33) },
        ])
      })

      test('[M4] deleting a missing key and writing an empty batch are no-ops', async () => {
        await store.write([put(['keep'], bytes(1))])
        await store.write([del(['missing'])])
        await store.write([])
        expect(await keysOf(store, [])).toEqual([['keep']])
      })

      test('[M4] overwriting replaces the value, and deleting a parent key leaves its children', async () => {
        await store.write([put(['a'], bytes(1)), put(['a', 'b'], bytes(2))])
        await store.write([put(['a'], bytes(9))])
        expect(await store.get(['a'])).toEqual(bytes(9))
        await store.write([del(['a'])])
        expect(await keysOf(store, [])).toEqual([['a', 'b']])
      })
    })

    describe('removeRange', () => {
      test('[M4] removes exactly the keys under the prefix: [a] keeps [ab] and [a\\u0001]', async () => {
        await fill(TRICKY)
        await store.removeRange(['a'])
        const left = await keysOf(store, [])
        expect(left).toEqual(TRICKY.filter((k) => k[0] !== 'a').sort(compareKeys))
        expect(left).toContainEqual(['ab'])
        expect(left).toContainEqual(['a\u0001'])
      })

      test('[M4] a deeper prefix removes only that subtree', async () => {
        await fill(TRICKY)
        await store.removeRange(['a', 'b'])
        expect(await keysOf(store, ['a'])).toEqual([['a'], ['a', ''], ['a', 'bc']])
      })

      test('[M4] the empty prefix removes everything', async () => {
        await fill([...TRICKY, ['\u{1F600}'], ['\uffff']])
        await store.removeRange([])
        expect(await keysOf(store, [])).toEqual([])
        expect(await store.get(['\u{1F600}'])).toBeUndefined()
        expect(await store.get(['\uffff'])).toBeUndefined()
      })
    })

    describe('values are copies', () => {
      test('[M4] mutating bytes after writing them does not change the store', async () => {
        const value = bytes(1, 2, 3)
        const key = ['c', 'k']
        await store.write([{ key, value }])
        value[0] = 99
        key[1] = 'changed'
        expect(await store.get(['c', 'k'])).toEqual(bytes(1, 2, 3))
        expect(await store.get(['c', 'changed'])).toBeUndefined()
      })

      test('[M4] mutating what get or range returned does not change the store', async () => {
        await store.write([put(['c', 'k'], bytes(1, 2, 3))])
        const got = (await store.get(['c', 'k']))!
        got[0] = 99
        const [entry] = await store.range(['c'])
        entry!.value[1] = 99
        entry!.key[1] = 'changed'
        expect(await store.get(['c', 'k'])).toEqual(bytes(1, 2, 3))
        expect(await keysOf(store, ['c'])).toEqual([['c', 'k']])
      })
    })

    if (factory.reopen) {
      const reopen = factory.reopen
      describe('persistence', () => {
        test('[M4] writes, deletes and removals survive closing and reopening', async () => {
          await fill(TRICKY)
          await store.write([del(['b']), put(['a', 'b'], bytes(42))])
          await store.removeRange(['ab'])
          const expected = await store.range([])
          store = await reopen(store)
          expect(await store.range([])).toEqual(expected)
          expect(await store.get(['a', 'b'])).toEqual(bytes(42))
          expect(await store.get(['b'])).toBeUndefined()
          expect(await keysOf(store, ['ab'])).toEqual([])
        })
      })
    }
  })
}
