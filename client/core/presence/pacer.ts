/**
 * [M57] This device's own pace for signals: a token bucket kept below the server's budget
 * (protocol [S46]: 10 a second, burst 20), so a reconnect that announces cursors in many
 * conversations spreads them out instead of being dropped.
 */
export class Pacer {
  private tokens: number
  private at: number
  constructor(private readonly perSecond = 8, private readonly burst = 16, private readonly now: () => number = () => Date.now()) {
    this.tokens = burst
    this.at = now()
  }

  /** Takes a token, or tells how many milliseconds until one is there. */
  take(): number {
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000)
    this.at = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)
  }
}
