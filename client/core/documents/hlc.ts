/**
 * A hybrid logical clock reduced to one number of milliseconds: never behind the wall clock,
 * strictly increasing locally, and pushed forward by timestamps seen from others, so a message
 * written after reading another sorts after it even when clocks disagree. Timestamps more than a
 * day ahead of our wall clock are not observed, so one bad clock cannot drag everyone forward.
 */
export class HybridClock {
  private last = 0
  constructor(private readonly wall: () => number = Date.now) {}

  now(): number {
    this.last = Math.max(this.wall(), this.last + 1)
    return this.last
  }

  /** The wall clock alone, not advanced ([M67]: expiry is judged by this device's own clock). */
  wallNow(): number {
    return this.wall()
  }

  observe(ts: number): void {
    if (Number.isSafeInteger(ts) && ts <= this.wall() + 86_400_000) this.last = Math.max(this.last, ts)
  }
}
