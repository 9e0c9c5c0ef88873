/**
 * The device's local key-value store: IndexedDB in the browser (client/web/idbStore.ts),
 * SQLite in Node (client/node/sqliteStore.ts), memory in tests. Keys are string tuples ordered
 * element by element (strings by UTF-16 code units); every implementation runs
 * tests/client/localStore.contract.ts ([M4] in client/core/SPEC.md).
 *
 * Invariant 1: `write` is atomic: after a crash either every op of a call is visible or none.
 * Invariant 2: `range(prefix)` returns exactly the keys that start with `prefix`, in key order.
 */
export type Key = readonly string[]

export interface Entry {
  readonly key: string[]
  readonly value: Uint8Array
}

export interface WriteOp {
  readonly key: Key
  /** undefined deletes the key. */
  readonly value: Uint8Array | undefined
}

export interface LocalStore {
  get(key: Key): Promise<Uint8Array | undefined>
  range(prefix: Key): Promise<Entry[]>
  write(ops: readonly WriteOp[]): Promise<void>
  removeRange(prefix: Key): Promise<void>
  close(): Promise<void>
}

export function startsWith(key: Key, prefix: Key): boolean {
  if (key.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false
  return true
}

export function compareKeys(a: Key, b: Key): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i]! < b[i]!) return -1
    if (a[i]! > b[i]!) return 1
  }
  return a.length - b.length
}
