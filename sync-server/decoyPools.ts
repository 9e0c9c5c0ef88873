import { decoyPool, decoyPoolEntry, decoyPoolSize, decoyRowDest, toHex } from '../crypto/verify.js'

const poolId = (key: Uint8Array, fanout: number) => `${toHex(key)}/${decoyPoolSize(fanout)}`

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
    const hit = this.peek(key, fanout)
    if (hit || !mayCompute()) return hit
    this.computed++
    // Matched against stored rows: decoys are stored under `decoyRowDest` (crypto [K8]).
    return this.keep(key, fanout, new Set(decoyPool(key, decoyPoolSize(fanout)).map((d) => toHex(decoyRowDest(d)))))
  }

  /** The pool if it is cached (counted as a use), else undefined; never computes. */
  peek(key: Uint8Array, fanout: number): ReadonlySet<string> | undefined {
    const id = poolId(key, fanout)
    const hit = this.pools.get(id)
    if (!hit) return undefined
    this.pools.delete(id)
    this.pools.set(id, hit)
    return hit
  }

  /**
   * Computes a pool that is not cached, if `mayCompute` says yes, in steps of 1,000 hashes with
   * the event loop free between them: 8 pools of 20,000 in one `mail-done` once held every other
   * connection 3.6 s (the fuzzer's find). `peek` finds it afterwards.
   */
  async prepare(key: Uint8Array, fanout: number, mayCompute: () => boolean): Promise<void> {
    if (this.peek(key, fanout) || !mayCompute()) return
    this.computed++
    const size = decoyPoolSize(fanout)
    const pool = new Set<string>()
    for (let i = 0; i < size; i++) {
      if (i % 1000 === 999) await new Promise<void>((r) => setImmediate(r))
      pool.add(toHex(decoyRowDest(decoyPoolEntry(key, i))))
    }
    this.keep(key, fanout, pool)
  }

  private keep(key: Uint8Array, fanout: number, pool: ReadonlySet<string>): ReadonlySet<string> {
    this.pools.set(poolId(key, fanout), pool)
    if (this.pools.size > this.max) this.pools.delete(this.pools.keys().next().value!)
    return pool
  }
}
