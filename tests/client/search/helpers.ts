import { Messenger } from '../../../client/core/messenger.js'
import type { Entry, Key, LocalStore, WriteOp } from '../../../client/core/storage/LocalStore.js'
import { nodeSocket } from '../../../client/node/socket.js'
import { closedUrl, device, type Device } from '../helpers/devices.js'

/** Search starts only when asked (or on `searchIndexed`), and a changed segment is saved at once. */
export const SEARCH_OPTIONS = { startDelayMs: 3_600_000, saveDelayMs: 5 }

/** Everything these tests open, closed after each. */
export const opened: Messenger[] = []

export async function closeAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((m) => m.stop()))
}

/** A device with no server reachable (search needs none). */
export async function offline(name: string, options: { store?: LocalStore; segmentCapacity?: number } = {}): Promise<Device> {
  const d = await device(name, await closedUrl(), { ...options, search: SEARCH_OPTIONS })
  opened.push(d.messenger)
  return d
}

export async function reopen(store: LocalStore, segmentCapacity?: number): Promise<Messenger> {
  const m = await Messenger.open({ store, url: await closedUrl(), socket: nodeSocket, segmentCapacity, search: SEARCH_OPTIONS })
  opened.push(m)
  return m
}

export async function close(m: Messenger): Promise<void> {
  opened.splice(opened.indexOf(m), 1)
  await m.stop()
}

/** A store that counts the reads of keys under given prefixes (document chunks and markers). */
export function countingStore(inner: LocalStore): { store: LocalStore; reads: Key[]; reset(): void } {
  const reads: Key[] = []
  const store: LocalStore = {
    get: (key: Key) => (reads.push(key), inner.get(key)),
    range: (prefix: Key): Promise<Entry[]> => (reads.push(prefix), inner.range(prefix)),
    write: (ops: readonly WriteOp[]) => inner.write(ops),
    removeRange: (prefix: Key) => inner.removeRange(prefix),
    close: () => inner.close(),
  }
  return { store, reads, reset: () => void reads.splice(0) }
}

export const texts = (hits: readonly { text: string }[]) => hits.map((h) => h.text)
