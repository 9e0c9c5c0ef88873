/**
 * A tiny CBOR writer for what a well-behaved encoder never emits: forced argument widths,
 * declared lengths the bytes do not hold, indefinite lengths, tags, simple values, duplicate
 * and non-string map keys. Every builder returns bytes; `join` concatenates them.
 */
export type Bytes = Uint8Array

/** The head of an item: major type and argument, in `width` bytes (0: inside the initial byte; the argument must then be < 24). */
export function head(major: number, arg: number | bigint, width?: 0 | 1 | 2 | 4 | 8): Bytes {
  const n = BigInt(arg)
  const w = width ?? (n < 24n ? 0 : n < 0x100n ? 1 : n < 0x1_0000n ? 2 : n < 0x1_0000_0000n ? 4 : 8)
  if (w === 0) return Uint8Array.of((major << 5) | Number(n))
  const info = { 1: 24, 2: 25, 4: 26, 8: 27 }[w]
  const out = new Uint8Array(1 + w)
  out[0] = (major << 5) | info
  let v = n
  for (let i = w; i >= 1; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

export function join(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const utf8 = new TextEncoder()
export const uint = (n: number | bigint, width?: 0 | 1 | 2 | 4 | 8) => head(0, n, width)
/** -1 - n */
export const negint = (n: number | bigint, width?: 0 | 1 | 2 | 4 | 8) => head(1, n, width)
export const bstr = (b: Bytes) => join(head(2, b.length), b)
export const tstr = (s: string) => bstrOf(3, utf8.encode(s))
export const tbytes = (b: Bytes) => bstrOf(3, b) // a text string of arbitrary (maybe invalid UTF-8) bytes
const bstrOf = (major: number, b: Bytes) => join(head(major, b.length), b)
export const array = (items: Bytes[]) => join(head(4, items.length), ...items)
export const map = (pairs: [Bytes, Bytes][]) => join(head(5, pairs.length), ...pairs.flat())
export const tag = (t: number | bigint, item: Bytes) => join(head(6, t), item)
export const simple = (v: number) => (v < 24 ? Uint8Array.of(0xe0 | v) : Uint8Array.of(0xf8, v))
export const float16 = (bits: number) => Uint8Array.of(0xf9, bits >> 8, bits & 0xff)
export function float32(v: number): Bytes {
  const out = new Uint8Array(5)
  out[0] = 0xfa
  new DataView(out.buffer).setFloat32(1, v)
  return out
}
export function float64(v: number): Bytes {
  const out = new Uint8Array(9)
  out[0] = 0xfb
  new DataView(out.buffer).setFloat64(1, v)
  return out
}
/** An indefinite-length item of major type `major`, its chunks, and the break byte. */
export const indefinite = (major: number, chunks: Bytes[]) => join(Uint8Array.of((major << 5) | 31), ...chunks, Uint8Array.of(0xff))
