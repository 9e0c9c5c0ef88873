import { compareKeys, startsWith, type Entry, type Key, type LocalStore, type WriteOp } from './LocalStore.js'

/**
 * In-memory LocalStore for tests. Keys are joined with a separator no key part may contain.
 * Values and keys are copied in and out, as a real store would, so a caller mutating what it got
 * back cannot change what is stored.
 */
export function createMemoryStore(): LocalStore {
  const map = new Map<string, { key: string[]; value: Uint8Array }>()
  const id = (key: Key) => key.join('\u0000')
  return {
    async get(key) {
      const e = map.get(id(key))
      return e ? Uint8Array.from(e.value) : undefined // copies (a Node Buffer's slice() would be a view)
    },
    async range(prefix): Promise<Entry[]> {
      return [...map.values()]
        .filter((e) => startsWith(e.key, prefix))
        .sort((a, b) => compareKeys(a.key, b.key))
        .map((e) => ({ key: [...e.key], value: Uint8Array.from(e.value) }))
    },
    async write(ops: readonly WriteOp[]) {
      for (const op of ops) {
        if (op.value === undefined) map.delete(id(op.key))
        else map.set(id(op.key), { key: [...op.key], value: Uint8Array.from(op.value) })
      }
    },
    async removeRange(prefix) {
      for (const [k, e] of map) if (startsWith(e.key, prefix)) map.delete(k)
    },
    async close() {},
  }
}
