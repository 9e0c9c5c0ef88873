import { decoyPool, decoyPoolSize, decoyRowDest, toHex } from '../crypto/verify.js'

/**
 * [S11] Decoy pools the server has been handed by readers (crypto [K8]), kept in memory only —
 * never stored, so a copy of the data cannot tell decoy rows from real ones. A pool is computed
 * once per key and size (20,000 hashes at most) and the most recent 64 are kept.
 */
export class DecoyPoolCache {
  private readonly pools = new Map<string, ReadonlySet<string>>()

  constructor(private readonly max = 64) {}

  get(key: Uint8Array, fanout: number): ReadonlySet<string> {
    const size = decoyPoolSize(fanout)
    const id = `${toHex(key)}/${size}`
    const hit = this.pools.get(id)
    if (hit) {
      this.pools.delete(id)
      this.pools.set(id, hit)
      return hit
    }
    // Matched against stored rows: decoys are stored under `decoyRowDest` (crypto [K8]).
    const pool = new Set(decoyPool(key, size).map((d) => toHex(decoyRowDest(d))))
    this.pools.set(id, pool)
    if (this.pools.size > this.max) this.pools.delete(this.pools.keys().next().value!)
    return pool
  }
}
