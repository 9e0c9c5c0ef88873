import { afterEach, beforeEach } from 'vitest'

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem' | 'removeItem'>
const install = (s: Storage) => void ((globalThis as { localStorage?: unknown }).localStorage = s)

/** A localStorage over a Map for Node tests, fresh before each test and gone after it; the Map is returned to look into. */
export function useFakeLocalStorage(): Map<string, string> {
  const store = new Map<string, string>()
  beforeEach(() => {
    store.clear()
    install({ getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v), removeItem: (k) => void store.delete(k) })
  })
  afterEach(() => void delete (globalThis as { localStorage?: unknown }).localStorage)
  return store
}

/** A localStorage that refuses every call (private mode, a policy), as browsers throw. */
export function denyLocalStorage(): void {
  const denied = () => {
    throw new Error('denied')
  }
  install({ getItem: denied, setItem: denied, removeItem: denied })
}
