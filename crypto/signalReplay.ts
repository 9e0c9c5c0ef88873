import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { toHex } from './bytes.js'

/**
 * [E14] Replay refusal for opened signals: a signal's (device, id) is accepted once, and only
 * when its time is within `windowMs` of this device's clock. Ids are remembered for the window
 * (at most `maxIds`); when the memory is full the oldest go, and from then on nothing at or
 * before the time of an id let go is accepted (fail closed: a forgotten id can never pass again).
 */
export class SignalReplayGuard {
  /** `device:id` → the signal's time, in insertion order. */
  private readonly seen = new Map<string, number>()
  private floor = -Infinity
  private prunedAt = -Infinity

  constructor(private readonly windowMs = 5 * 60_000, private readonly maxIds = 20_000) {
    if (!(windowMs > 0) || !(maxIds >= 1)) throw new CryptoMisuse('replay window and memory must be positive')
  }

  /** Accepts a signal once: `C109_REPLAYED` (detail `time` or `seen`) otherwise. */
  check(signal: { readonly device: Uint8Array; readonly id: Uint8Array; readonly time: number }, now = Date.now()): Result<true> {
    if (Math.abs(now - signal.time) > this.windowMs || signal.time <= this.floor) return fail(CryptoErrorCode.REPLAYED, 'time')
    const key = `${toHex(signal.device)}:${toHex(signal.id)}`
    if (this.seen.has(key)) return fail(CryptoErrorCode.REPLAYED, 'seen')
    this.prune(now)
    this.seen.set(key, signal.time)
    for (const [old, time] of this.seen) {
      if (this.seen.size <= this.maxIds) break
      this.seen.delete(old)
      this.floor = Math.max(this.floor, time)
    }
    return ok(true)
  }

  /** Ids whose time has left the window can no longer pass the time check: forgotten. */
  private prune(now: number): void {
    if (now - this.prunedAt < 10_000 && this.seen.size < this.maxIds) return
    this.prunedAt = now
    for (const [key, time] of this.seen) {
      if (now - time <= this.windowMs) continue
      this.seen.delete(key)
    }
  }

  get size(): number {
    return this.seen.size
  }
}
