import { describe, expect, test } from 'vitest'
import { ClientRateLimiter, clientKey } from '../../sync-server/recovery/rateLimit.js'

describe('[S17] the per-client token bucket of the recovery endpoints', () => {
  const clock = () => {
    let t = 0
    return { now: () => t, advance: (ms: number) => void (t += ms) }
  }

  test('[S17] a client gets its burst at once, then one request per 60/rate seconds; retry-after says when', () => {
    const c = clock()
    const limiter = new ClientRateLimiter(30, 10, 100, c.now)
    for (let i = 0; i < 10; i++) expect(limiter.take('alice')).toBe(0)
    expect(limiter.take('alice')).toBe(2)
    c.advance(1000)
    expect(limiter.take('alice')).toBe(1)
    c.advance(1000)
    expect(limiter.take('alice')).toBe(0)
    expect(limiter.take('alice')).toBe(2)
    // bob is counted on his own
    expect(limiter.take('bob')).toBe(0)
    c.advance(60_000)
    for (let i = 0; i < 10; i++) expect(limiter.take('alice')).toBe(0)
    expect(limiter.take('alice')).toBeGreaterThan(0)
  })

  test('[S17] at most maxTracked clients are kept: the least recently seen are forgotten first', () => {
    const c = clock()
    const limiter = new ClientRateLimiter(1, 1, 2, c.now)
    expect(limiter.take('alice')).toBe(0)
    expect(limiter.take('bob')).toBe(0)
    expect(limiter.take('carol')).toBe(0) // alice forgotten
    expect(limiter.take('carol')).toBeGreaterThan(0)
    expect(limiter.take('bob')).toBeGreaterThan(0)
    expect(limiter.take('alice')).toBe(0) // a forgotten client starts full again
  })

  test('[S17] IPv4 and IPv4-mapped addresses count alone; IPv6 addresses count per /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7')
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64')
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(clientKey('::1')).toBe('0:0:0:0::/64')
    expect(clientKey(undefined)).toBe('unknown')
  })
})
