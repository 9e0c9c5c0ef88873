import { describe, expect, test } from 'vitest'
import { decodeClientFrame, decodeServerFrame, encodeFrame } from '../../protocol/codec.js'
import { cborShapeProblem } from '../../protocol/cborShape.js'
import { decodeRecord, encodeRecord } from '../../client/core/storage/records.js'
import * as z from 'zod'

/**
 * [P4] Issue 9, defect 1: a 24-byte frame of self-referencing tags (28/29) made the decoder's
 * normalising step do exponential work (about 20 s before authentication), and a bignum tag over
 * 100,000 bytes blocked the event loop about 14 s. Tags are refused before any decoder runs, and
 * the shape check's work is one pass over the frame.
 */
const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)))

describe('[P4] frames are plain CBOR, checked before decoding', () => {
  test('the self-referencing tag frame (d8 1c 87 then d8 1d 00 seven times) is refused as a tag, at once', () => {
    const frame = hex(`d81c87${'d81d00'.repeat(7)}`)
    expect(frame.length).toBe(24)
    const t0 = performance.now()
    expect(decodeClientFrame(frame)).toEqual({ ok: false, reason: 'CBOR tags are not allowed' })
    expect(decodeServerFrame(frame)).toEqual({ ok: false, reason: 'CBOR tags are not allowed' })
    // Also its wider forms (width 8 took 47 s).
    expect(decodeClientFrame(hex(`d81c88${'d81d00'.repeat(8)}`)).ok).toBe(false)
    expect(performance.now() - t0).toBeLessThan(5_000) // a hang guard, not a benchmark
  })

  test('a bignum tag over 100,000 bytes (c2 5a 00 01 86 a0 …) is refused before its bytes are read', () => {
    const frame = new Uint8Array(6 + 100_000)
    frame.set(hex('c25a000186a0'))
    expect(decodeClientFrame(frame)).toEqual({ ok: false, reason: 'CBOR tags are not allowed' })
  })

  test('every tag, nested anywhere, is refused; so are indefinite lengths, reserved encodings, odd simple values, truncation and trailing bytes', () => {
    const ok = encodeFrame({ type: 'ping' } as never)
    expect(cborShapeProblem(ok)).toBeUndefined()
    const cases: [string, RegExp][] = [
      ['a1617481c100', /tags/], // {"t": [tag(1) 0]}
      ['d9010000', /tags/],
      ['9f00ff', /indefinite/],
      ['5f4100ff', /indefinite/],
      ['1c', /reserved/],
      ['f0', /simple/],
      ['f818', /simple/],
      ['5a00000010', /longer than the input/],
      ['9bffffffffffffffff', /more items/],
      ['8200', /more items/],
      ['19', /truncated/],
      ['0000', /after the frame/],
    ]
    expect(cborShapeProblem(new Uint8Array(0))).toMatch(/truncated/)
    for (const [h, reason] of cases) expect(cborShapeProblem(hex(h)), h).toMatch(reason)
    expect(cborShapeProblem(hex('81'.repeat(40) + '00'))).toMatch(/too deep/)
  })

  test('plain values pass, whatever their content: what the codec and the records encode is never refused', () => {
    const values = [0, -1, 2 ** 40, 1.5, true, false, null, 'täst', new Uint8Array(300), [1, [2, [3]]], { a: { b: new Uint8Array([1]) } }, Array.from({ length: 500 }, (_, i) => i)]
    for (const v of values) {
      expect(cborShapeProblem(encodeRecord(v))).toBeUndefined()
      expect(decodeRecord(encodeRecord(v), z.unknown())).toEqual(v)
    }
  })

  test('random and mutated bytes never throw, and the check is linear in the input', () => {
    const base = encodeRecord({ type: 'push', items: Array.from({ length: 20 }, (_, i) => ({ i, b: new Uint8Array(i) })) })
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let i = 0; i < 5_000; i++) {
      const m = base.slice()
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256)
      expect(() => cborShapeProblem(m)).not.toThrow()
      expect(() => decodeClientFrame(m)).not.toThrow()
    }
    // A record that is a tag bomb from a peer (a membership op, a bundle) is refused like a frame.
    expect(decodeRecord(hex(`d81c87${'d81d00'.repeat(7)}`), z.unknown())).toBeUndefined()
  })
})
