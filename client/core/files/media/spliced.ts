import type { FileSource } from '../source.js'

/** A piece of a spliced file: a byte range of the original, or bytes of its own. */
export type Piece = { readonly from: number; readonly to: number } | { readonly bytes: Uint8Array }

const lengthOf = (p: Piece) => ('bytes' in p ? p.bytes.length : p.to - p.from)

/**
 * A file made of ranges of `source` and a few inserted bytes, read on demand: what a metadata
 * stripper returns, so a large photo is never copied whole into memory.
 */
export function splicedSource(source: FileSource, pieces: readonly Piece[]): FileSource {
  const merged: Piece[] = []
  for (const p of pieces) {
    if (!lengthOf(p)) continue
    const last = merged.at(-1)
    if (last && !('bytes' in last) && !('bytes' in p) && last.to === p.from) merged[merged.length - 1] = { from: last.from, to: p.to }
    else merged.push(p)
  }
  const starts: number[] = []
  let size = 0
  for (const p of merged) starts.push(size), (size += lengthOf(p))
  return {
    size,
    async read(offset, length) {
      const end = Math.min(size, offset + length)
      if (offset >= end) return new Uint8Array(0)
      const out = new Uint8Array(end - offset)
      for (const [i, p] of merged.entries()) {
        const at = starts[i]!
        const from = Math.max(offset, at)
        const to = Math.min(end, at + lengthOf(p))
        if (from >= to) continue
        const part = 'bytes' in p ? p.bytes.subarray(from - at, to - at) : await source.read(p.from + from - at, to - from)
        if (part.length !== to - from) throw new Error('the original file changed while it was being read')
        out.set(part, from - offset)
      }
      return out
    },
  }
}
