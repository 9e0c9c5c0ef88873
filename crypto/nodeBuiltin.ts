/**
 * [C0] A Node built-in module looked up at run time (`process.getBuiltinModule`, Node ≥ 20.16):
 * crypto/ imports no Node module, so the browser build never pulls one in; undefined elsewhere.
 * The caller types the few calls it makes locally.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return p?.getBuiltinModule?.(id) as T | undefined
  } catch {
    return undefined
  }
}
