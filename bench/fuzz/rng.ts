/**
 * The fuzzer's only source of choices: a small seeded PRNG (sfc32, seeded through splitmix32), so
 * one seed gives the same episodes, the same frames and the same mutations on every run. Keys,
 * nonces and the server's challenges stay truly random (crypto/): a replay repeats every choice
 * and every byte the fuzzer makes up, not the signatures over a fresh challenge.
 */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.u32()
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 0x1_0000_0000
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1))
  }

  /** Small sizes most of the time, now and then up to `max` (sizes near the caps matter most). */
  size(max: number): number {
    const r = this.float()
    if (r < 0.6) return this.int(0, Math.min(max, 16))
    if (r < 0.9) return this.int(0, Math.min(max, 512))
    return this.int(0, max)
  }

  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing')
    return items[this.int(0, items.length - 1)]!
  }

  /** One of `table`'s keys, with probability in proportion to its weight. */
  weighted<K extends string>(table: Readonly<Record<K, number>>): K {
    const entries = Object.entries(table) as [K, number][]
    let r = this.float() * entries.reduce((sum, [, w]) => sum + w, 0)
    for (const [key, w] of entries) if ((r -= w) < 0) return key
    return entries[entries.length - 1]![0]
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i += 4) {
      const v = this.u32()
      out[i] = v
      if (i + 1 < length) out[i + 1] = v >>> 8
      if (i + 2 < length) out[i + 2] = v >>> 16
      if (i + 3 < length) out[i + 3] = v >>> 24
    }
    return out
  }

  /** A seed for a child generator: episodes draw from their own stream, so one can be replayed alone. */
  seed(): number {
    return this.u32()
  }
}

/** The generator for episode `index` of phase `phase` in a run seeded `seed`: independent of how episodes interleave. */
export function episodeRng(seed: number, phase: number, index: number): Rng {
  return new Rng(mix32(mix32(mix32(seed) ^ phase) ^ index))
}

/** The murmur3 finaliser: spreads every input bit over the output. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
  return (z ^ (z >>> 16)) >>> 0
}
