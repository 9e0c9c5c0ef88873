/**
 * [S17] One token bucket per client address for the recovery endpoints. IPv6 clients are counted
 * per /64 (what one host or home network is given), IPv4-mapped addresses as IPv4. At most
 * `maxTracked` buckets are kept: the least recently used are forgotten first, and a forgotten
 * client starts again with a full bucket.
 */
export class ClientRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly perMs: number
  constructor(
    perMinute: number,
    private readonly burst: number,
    private readonly maxTracked: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perMinute > 0) || !(burst >= 1) || !(maxTracked >= 1)) throw new RangeError('rate limits must be positive, burst at least 1')
    this.perMs = perMinute / 60_000
  }

  /** 0 when the request may go ahead (one token taken); otherwise the whole seconds until it may. */
  take(client: string): number {
    const now = this.now()
    const bucket = this.buckets.get(client)
    const tokens = bucket ? Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs) : this.burst
    if (tokens < 1) {
      bucket!.tokens = tokens
      bucket!.at = now
      return Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000))
    }
    // Re-inserted so the map's order is least recently used first.
    this.buckets.delete(client)
    this.buckets.set(client, { tokens: tokens - 1, at: now })
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= this.maxTracked) break
      this.buckets.delete(oldest)
    }
    return 0
  }
}

/** The key a client is limited under: its IPv4 address, or the /64 of its IPv6 address. */
export function clientKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown'
  const address = remoteAddress.split('%')[0]!.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(':')) return address
  const [head = '', tail] = address.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`
}
