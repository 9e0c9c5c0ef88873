/** Bytes [start, end) of a blob's sealed bytes. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

const ONE_RANGE = /^bytes=([0-9]{0,16})-([0-9]{0,16})$/

/**
 * [B7] The `Range` header of a download: absent → undefined (the whole blob); exactly one range
 * `bytes=a-b`, `bytes=a-` or `bytes=-n` → its bytes, clipped to the blob; anything else (several
 * ranges, another unit, a range that starts beyond the end, `-0`, b < a) → 'unsatisfiable' (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = ONE_RANGE.exec(header)
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable'
  if (m[1] === '') {
    const suffix = Number(m[2])
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size }
  }
  const start = Number(m[1])
  if (start >= size) return 'unsatisfiable'
  if (m[2] === '') return { start, end: size }
  const last = Number(m[2])
  return last < start ? 'unsatisfiable' : { start, end: Math.min(last + 1, size) }
}
