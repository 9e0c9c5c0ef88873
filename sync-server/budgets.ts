import type { ServerLimits } from './limits.js'

/**
 * [S6][S22] Token buckets kept per key (a device, or a client address before authentication), so
 * that a budget outlives the connection that spent it: a device that reconnects finds its bucket
 * where it left it, not a fresh burst. At most `maxTracked` keys are kept, least recently used
 * forgotten first (a forgotten key starts full again: only keys idle long enough to have refilled
 * are likely to go). In memory only, per server process: nothing of it is stored.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly perMs: number
  constructor(
    ratePerSecond: number,
    readonly burst: number,
    private readonly maxTracked = 100_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1) || !(maxTracked >= 1)) throw new RangeError('budgets must be positive, burst at least 1')
    this.perMs = ratePerSecond / 1000
  }

  /**
   * Takes `cost` tokens (at most the burst: a larger cost waits for a full bucket) and returns 0,
   * or takes nothing and returns the milliseconds until they will be there.
   */
  take(key: string, cost = 1): number {
    const need = Math.min(cost, this.burst)
    const now = this.now()
    const bucket = this.buckets.get(key)
    const tokens = bucket ? Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs) : this.burst
    if (tokens < need) {
      bucket!.tokens = tokens
      bucket!.at = now
      return Math.max(1, Math.ceil((need - tokens) / this.perMs))
    }
    // Re-inserted so the map's order is least recently used first.
    this.buckets.delete(key)
    this.buckets.set(key, { tokens: tokens - need, at: now })
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= this.maxTracked) break
      this.buckets.delete(oldest)
    }
    return 0
  }

  get tracked(): number {
    return this.buckets.size
  }
}

/** The budgets of one server process ([S22]). */
export interface Budgets {
  /** Frames of an authenticated device, across all its connections and reconnects. */
  readonly deviceFrames: KeyedBuckets
  /** Frames before authentication (hellos included), per client address. */
  readonly addressFrames: KeyedBuckets
  /** Mailbox rows (recipients and decoys × items) a device may post ([S11]). */
  readonly mailRows: KeyedBuckets
  /** [S46] Signals of a device ([S44]), across its connections and reconnects. */
  readonly signals: KeyedBuckets
}

export function createBudgets(limits: Pick<ServerLimits, 'framesPerSecond' | 'burstFrames' | 'addressFramesPerSecond' | 'addressBurstFrames' | 'mailRowsPerSecond' | 'mailRowsBurst' | 'signalsPerSecond' | 'signalBurst'>): Budgets {
  return {
    deviceFrames: new KeyedBuckets(limits.framesPerSecond, limits.burstFrames),
    addressFrames: new KeyedBuckets(limits.addressFramesPerSecond, limits.addressBurstFrames),
    mailRows: new KeyedBuckets(limits.mailRowsPerSecond, limits.mailRowsBurst),
    signals: new KeyedBuckets(limits.signalsPerSecond, limits.signalBurst),
  }
}
