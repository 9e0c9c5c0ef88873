import * as fc from 'fast-check'
import { Encoder } from 'cbor-x'
import type { Rng } from '../rng.js'
import * as raw from './cborRaw.js'

/**
 * Random CBOR: any JavaScript value fast-check makes up (maps, arrays, strings, numbers, byte
 * strings, bigints, dates, typed arrays…) encoded by cbor-x, often inside a `{type: …}` map so
 * it reaches the schema; and hand-made items no honest encoder writes (cborRaw.ts).
 */
const plain = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false })
const tagging = new Encoder({ useRecords: false, mapsAsObjects: false })

const value = fc.anything({
  maxDepth: 6,
  maxKeys: 8,
  withBigInt: true,
  withBoxedValues: false,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withObjectString: false,
  withUnicodeString: true,
})
const frameLike = fc.record(
  { type: fc.constantFrom('hello', 'join', 'rekey', 'push', 'subscribe', 'unsubscribe', 'ping', 'mail', 'mail-done'), a: value, b: fc.uint8Array({ maxLength: 80 }), c: fc.integer() },
  { requiredKeys: ['type'] },
)

/** One fast-check value drawn from the episode's generator (reproducible by seed). */
export function anythingFrame(rng: Rng): Uint8Array {
  const [v] = fc.sample(rng.chance(0.5) ? frameLike : value, { seed: rng.u32() | 0, numRuns: 1 })
  try {
    return (rng.chance(0.8) ? plain : tagging).encode(v)
  } catch {
    return plain.encode(String(typeof v))
  }
}

/** Hand-made items: forced widths, lengths beyond the frame, tags, indefinite lengths, simple values, duplicate keys, deep nesting. */
export function oddFrame(rng: Rng): Uint8Array {
  const ping = (t: Uint8Array) => raw.map([[raw.tstr('type'), raw.tstr('ping')], [raw.tstr('t'), t]])
  switch (rng.int(0, 15)) {
    case 0:
      return ping(raw.uint(rng.int(0, 1000), rng.pick([1, 2, 4, 8] as const)))
    case 1:
      return ping(raw.float16(rng.pick([0x7c00, 0xfc00, 0x7e00, 0x8000, 0x0001, 0x7bff])))
    case 2:
      return ping(raw.float32(rng.pick([NaN, Infinity, -0, 3.4e38])))
    case 3:
      return ping(raw.negint(rng.pick([0n, 2n ** 53n, 2n ** 64n - 1n]), 8))
    case 4:
      return ping(raw.uint(2n ** 64n - 1n, 8))
    case 5:
      // A declared length far beyond the bytes: [P4] refuses before any allocation.
      return raw.join(raw.head(rng.pick([2, 3, 4, 5]), rng.pick([2 ** 31, 2 ** 32 - 1, 2n ** 63n, 2n ** 64n - 1n]), rng.pick([4, 8] as const)), rng.bytes(rng.int(0, 16)))
    case 6:
      return raw.tag(rng.pick([0, 1, 2, 3, 24, 25, 28, 29, 55799, 2 ** 32, 2n ** 64n - 1n]), ping(raw.uint(1)))
    case 7:
      return raw.indefinite(rng.pick([2, 3, 4, 5]), [raw.bstr(rng.bytes(4))])
    case 8:
      return ping(raw.simple(rng.pick([0, 16, 19, 24, 31, 32, 255])))
    case 9:
      // The known gap of [P4]: duplicate keys, the last one wins.
      return raw.map([[raw.tstr('type'), raw.tstr('hello')], [raw.tstr('type'), raw.tstr('ping')], [raw.tstr('t'), raw.uint(1)]])
    case 10:
      return raw.map([[raw.uint(1), raw.tstr('ping')], [raw.bstr(rng.bytes(3)), raw.uint(1)], [raw.array([]), raw.map([])]])
    case 11: {
      // Nesting at, just over and far over the depth limit: arrays of one and maps of one pair.
      const heads = Array.from({ length: rng.pick([31, 32, 33, 1000, 20_000]) }, () => (rng.chance(0.5) ? Uint8Array.of(0x81) : raw.join(Uint8Array.of(0xa1), raw.tstr('k'))))
      return raw.join(...heads, raw.uint(0))
    }
    case 12:
      return raw.join(ping(raw.uint(1)), rng.bytes(rng.int(1, 8)))
    case 13:
      return ping(raw.tbytes(rng.bytes(rng.int(1, 32)))) // text that may not be UTF-8
    case 14:
      return raw.map([[raw.tstr('type'), raw.tstr('ping')], [raw.tstr('t'), raw.uint(1)], [raw.tstr('__proto__'), raw.map([[raw.tstr('polluted'), raw.simple(21)]])]])
    default:
      // Many tiny items: the count is honest, the work is per item.
      return raw.array(Array.from({ length: rng.size(60_000) }, () => raw.simple(22)))
  }
}
