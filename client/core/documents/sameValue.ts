/**
 * Deep equality of plain values (views read from records: strings, numbers, booleans, arrays
 * and plain objects), whatever the order of their keys. [M3b] compares an entry added from its
 * change's records with the same entry read from the document.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as unknown[]
    return a.length === other.length && a.every((x, i) => sameValue(x, other[i]))
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  const rb = b as Record<string, unknown>
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameValue((a as Record<string, unknown>)[k], rb[k]))
}
