import { decoyPool, decoyPoolSize, decoyRowDest, toHex } from '../crypto/verify.js'

/**
 * [S11] Decoy pools the server has been handed by readers (crypto [K8]), kept in memory only —
 * never stored, so a copy of the data cannot tell decoy rows from real ones. A pool is computed
 * once per key and size (20,000 hashes at most) and the most recent 64 are kept.
 */
export class DecoyPoolCache {
  private readonly pools = new Map<string, ReadonlySet<string>>()

  constructor(private readonly max = 64) {}

  /** Pools computed so far (not found in the cache): what readers have cost the server. */
  computed = 0

  /**
   * The pool of `key` for an item of `fanout` rows; `mayCompute` is asked before a pool that is
   * not cached is computed (a reader's budget, connection.ts), and undefined comes back when it
   * says no: that item's decoys then stay until they expire.
   */
  get(key: Uint8Array, fanout: number, mayCompute: () => boolean = () => true): ReadonlySet<string> | undefined {
    const size = decoyPoolSize(fanout)
    const id = `${toHex(key)}/${size}`
    const hit = this.pools.get(id)
    if (hit) {
      this.pools.delete(id)
      this.pools.set(id, hit)
      return hit
    }
    if (!mayCompute()) return undefined
    this.computed++
    // Matched against stored rows: decoys are stored under `decoyRowDest` (crypto [K8]).
    const pool = new Set(decoyPool(key, size).map((d) => toHex(decoyRowDest(d))))
    this.pools.set(id, pool)
    if (this.pools.size > this.max) this.pools.delete(this.pools.keys().next().value!)
    return pool
  }
}
