/**
 * [M57] This device's own pace for signals: a token bucket kept below the server's budget
 * (protocol [S46]: 10 a second, burst 20), so a reconnect that announces cursors in many
 * conversations spreads them out instead of being dropped. Senders that wait for a token wait in
 * line, urgent ones first (a call's heartbeat before the parts of an SDP, client/core [V2]): a
 * burst of bulk never starves what keeps a call alive, and no waiter is overtaken by a later one
 * of its kind.
 */
export class Pacer {
  private tokens: number
  private at: number
  private readonly line: { readonly urgent: boolean; readonly until: number; readonly done: (got: boolean) => void }[] = []
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly perSecond = 8, private readonly burst = 16, private readonly now: () => number = () => Date.now()) {
    this.tokens = burst
    this.at = now()
  }

  /** Takes a token, or tells how many milliseconds until one is there (nobody waiting in line is overtaken). */
  take(): number {
    this.refill()
    if (this.tokens >= 1 && !this.line.length) {
      this.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil(((1 - Math.min(this.tokens, 1)) * 1000) / this.perSecond))
  }

  /** A token, waiting in line for up to `maxWaitMs`: true when it came, false when the wait ran out. */
  acquire(maxWaitMs: number, urgent = false): Promise<boolean> {
    if (this.take() === 0) return Promise.resolve(true)
    if (maxWaitMs <= 0) return Promise.resolve(false)
    return new Promise((done) => {
      const waiter = { urgent, until: this.now() + maxWaitMs, done }
      const at = urgent ? this.line.findIndex((w) => !w.urgent) : -1
      if (at < 0) this.line.push(waiter)
      else this.line.splice(at, 0, waiter)
      this.pump()
    })
  }

  private refill(): void {
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000)
    this.at = now
  }

  /** Hands tokens to the line in order; those whose wait ran out are told so. */
  private pump(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.refill()
    const now = this.now()
    for (let i = 0; i < this.line.length; ) {
      const w = this.line[i]!
      if (w.until < now) {
        this.line.splice(i, 1)
        w.done(false)
      } else i++
    }
    while (this.line.length && this.tokens >= 1) {
      this.tokens -= 1
      this.line.shift()!.done(true)
    }
    if (!this.line.length) return
    const next = Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)
    const soonest = Math.min(...this.line.map((w) => w.until - now + 1))
    this.timer = setTimeout(() => this.pump(), Math.max(1, Math.min(next, soonest)))
  }
}
