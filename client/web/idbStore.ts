import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { Entry, Key, LocalStore, WriteOp } from '../core/storage/LocalStore.js'

/**
 * LocalStore over IndexedDB: one object store whose keys are native IndexedDB arrays, so the
 * database orders tuples element by element itself (TOOLCHAIN.md: no joined strings).
 *
 * Invariant 1 (LocalStore): `write` runs in one readwrite transaction, which IndexedDB commits
 * all or nothing. `durability: 'strict'` makes it wait for the disk, because the outbox treats a
 * resolved write as "this message survives a crash".
 * Invariant 2 (LocalStore): `range(p)` reads `[p, [...p, []]]`. An array sorts above every string,
 * so the upper bound lies above every key `[...p, s, ...]` and below the next sibling of `p`;
 * the lower bound is inclusive, so the key `p` itself is included.
 *
 * Storage is a trust boundary (another version, another tab, a browser bug): a record whose key
 * is not a string tuple or whose value is not bytes is skipped, never passed on as if it were.
 */
const STORE = 'kv'

interface Schema extends DBSchema {
  kv: { key: string[]; value: Uint8Array }
}

export async function openIdbStore(name = 'fieldchat'): Promise<LocalStore> {
  const db: IDBPDatabase<Schema> = await openDB<Schema>(name, 1, {
    upgrade(d) {
      d.createObjectStore(STORE)
    },
    // A newer version of the app wants to upgrade the database: let it (this tab reloads later).
    blocking() {
      db.close()
    },
  })

  const prefixRange = (prefix: Key): IDBKeyRange => IDBKeyRange.bound([...prefix], [...prefix, []])

  return {
    async get(key) {
      return bytesOf(await db.get(STORE, [...key]))
    },
    async range(prefix): Promise<Entry[]> {
      const tx = db.transaction(STORE, 'readonly')
      const range = prefixRange(prefix)
      // Same transaction, same range: both lists come back in the same key order.
      const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done])
      const out: Entry[] = []
      keys.forEach((key, i) => {
        const value = bytesOf(values[i])
        if (isStringTuple(key) && value) out.push({ key: [...key], value })
      })
      return out
    },
    async write(ops: readonly WriteOp[]) {
      if (ops.length === 0) return
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' })
      // Requests are queued synchronously; awaiting only `done` keeps the transaction alive and
      // lets any failed request abort the whole transaction (Invariant 1).
      try {
        for (const op of ops) {
          if (op.value === undefined) void tx.store.delete([...op.key]).catch(() => undefined)
          else void tx.store.put(op.value, [...op.key]).catch(() => undefined)
        }
      } catch (err) {
        // A request that throws at once (bad key, uncloneable value) does not abort the
        // transaction by itself: the ops queued before it would still commit.
        tx.abort()
        await tx.done.catch(() => undefined)
        throw err
      }
      await tx.done
    },
    async removeRange(prefix) {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' })
      void tx.store.delete(prefixRange(prefix)).catch(() => undefined)
      await tx.done
    },
    async close() {
      db.close()
    },
  }
}

function isStringTuple(key: unknown): key is string[] {
  return Array.isArray(key) && key.every((part) => typeof part === 'string')
}

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  return undefined
}
