/**
 * [P4] The shape check every untrusted CBOR input passes before a decoder sees it: one pass over
 * the bytes, no recursion, work bounded by their length. Refused: any tag (major type 6: the
 * protocol has none, and a decoder's tag handlers — bignums, self-references — can do work far
 * beyond the input's size), indefinite lengths, reserved encodings, simple values other than
 * false/true/null/undefined, lengths beyond the input, nesting deeper than `maxDepth`, and bytes
 * after the one top-level item. Returns the reason, or undefined for a plain item.
 */
export function cborShapeProblem(bytes: Uint8Array, maxDepth = 32): string | undefined {
  const n = bytes.length
  let pos = 0
  // Items still to read at each open array or map level; the bottom entry is the one top-level item.
  const pending: number[] = [1]
  while (pending.length) {
    if (pending[pending.length - 1] === 0) {
      pending.pop()
      continue
    }
    pending[pending.length - 1]!--
    if (pos >= n) return 'CBOR: truncated'
    const ib = bytes[pos++]!
    const major = ib >> 5
    const info = ib & 31
    if (major === 6) return 'CBOR tags are not allowed'
    if (info === 31) return 'CBOR indefinite lengths are not allowed'
    if (info >= 28) return 'CBOR: reserved encoding'
    let arg = info
    if (info >= 24) {
      const size = 1 << (info - 24)
      if (pos + size > n) return 'CBOR: truncated'
      arg = 0
      for (let i = 0; i < size; i++) arg = arg * 256 + bytes[pos + i]!
      pos += size
    }
    switch (major) {
      case 0:
      case 1:
        break
      case 2:
      case 3:
        if (arg > n - pos) return 'CBOR: a string longer than the input'
        pos += arg
        break
      case 4:
      case 5: {
        const items = major === 5 ? arg * 2 : arg
        // Every item takes at least one byte: a count beyond what is left cannot be honest.
        if (items > n - pos) return 'CBOR: more items than bytes'
        if (pending.length > maxDepth) return 'CBOR: nested too deep'
        pending.push(items)
        break
      }
      case 7:
        // false, true, null, undefined, and floats (16, 32, 64 bits) only.
        if (!(info >= 20 && info <= 23) && !(info >= 25 && info <= 27)) return 'CBOR: simple value not allowed'
        break
    }
  }
  return pos === n ? undefined : 'CBOR: bytes after the frame'
}
