import { createHmac } from 'node:crypto'
import { expect, test } from 'vitest'
import { CryptoMisuse, turnCredential, turnPassword } from '../../crypto/index.js'

test('[X1] vector: the password is base64(HMAC-SHA1(secret, username)) as node:crypto computes it; the username is the expiry and 16 random characters', () => {
  const secret = 'north-depot-turn-secret-2026'
  const c = turnCredential(secret, 1_796_000_000, Uint8Array.from({ length: 12 }, (_, i) => i * 21))
  expect(c.username).toBe('1796000000:ABUqP1RpfpOovdLn')
  expect(c.credential).toBe(createHmac('sha1', secret).update(c.username).digest('base64'))
  expect(c.credential).toHaveLength(28)
  expect(turnPassword(secret, 'a:b')).toBe(createHmac('sha1', secret).update('a:b').digest('base64'))
  // Fresh random part each time: two credentials with one expiry differ.
  expect(turnCredential(secret, 1_796_000_000).username).not.toBe(turnCredential(secret, 1_796_000_000).username)
})

test('[C0][X1] misuse: a short secret, a bad expiry or random part throws', () => {
  expect(() => turnCredential('short', 1)).toThrow(CryptoMisuse)
  expect(() => turnCredential('x'.repeat(16), 0)).toThrow(CryptoMisuse)
  expect(() => turnCredential('x'.repeat(16), 1.5)).toThrow(CryptoMisuse)
  expect(() => turnCredential('x'.repeat(16), 10, new Uint8Array(11))).toThrow(CryptoMisuse)
})
