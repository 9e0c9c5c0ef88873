import type { ConvId } from '../../../protocol/index.js'

/**
 * [S3] Joins the server refused because the conversation is not registered yet (its creator's
 * device has not connected since creating it): asked again with backoff, from 1 s up to 30 s,
 * until a join succeeds or the connection drops (a new connection joins everything anyway).
 */
export class JoinRetry {
  private readonly attempts = new Map<ConvId, number>()
  private readonly timers = new Map<ConvId, ReturnType<typeof setTimeout>>()

  constructor(private readonly rejoin: (conv: ConvId) => void, private readonly maxMs = 30_000) {}

  retryLater(conv: ConvId): void {
    const n = this.attempts.get(conv) ?? 0
    this.attempts.set(conv, n + 1)
    clearTimeout(this.timers.get(conv))
    const delay = Math.min(this.maxMs, 1000 * 2 ** n) * (0.8 + Math.random() * 0.4)
    this.timers.set(conv, setTimeout(() => {
      this.timers.delete(conv)
      this.rejoin(conv)
    }, delay))
  }

  /** Joined: the next refusal starts from 1 s again. */
  joined(conv: ConvId): void {
    this.attempts.delete(conv)
    clearTimeout(this.timers.get(conv))
    this.timers.delete(conv)
  }

  /** The connection dropped or the engine stopped: pending retries are moot. */
  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }
}
