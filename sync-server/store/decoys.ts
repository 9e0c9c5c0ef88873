import { randomBytes, toHex } from '../../crypto/verify.js'

/**
 * Invariant 8: of the rows an item has left after a read, those whose destination is in its
 * decoy pool are decoys; `ceil(d / (r + 1))` of them go (all when no real row is left).
 */
export function decoysToDrop<R extends { id: number; dest: Uint8Array }>(rows: readonly R[], pool: ReadonlySet<string>): number[] {
  const decoys = rows.filter((r) => pool.has(toHex(r.dest))).map((r) => r.id)
  const real = rows.length - decoys.length
  const count = real === 0 ? decoys.length : Math.ceil(decoys.length / (real + 1))
  // Which ones is random: a fixed choice would leave the same pool entries behind every time.
  for (let i = decoys.length - 1; i > 0; i--) {
    const j = randomBytes(4).reduce((a, b) => a * 256 + b, 0) % (i + 1)
    ;[decoys[i], decoys[j]] = [decoys[j]!, decoys[i]!]
  }
  return decoys.slice(0, count)
}

/** The indices 0..n-1 in a random order (CSPRNG Fisher–Yates). */
export function shuffled(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = randomBytes(4).reduce((a, b) => a * 256 + b, 0) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
