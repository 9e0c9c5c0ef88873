import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DOMAIN_ENVELOPE_HASH, DOMAIN_HEADER_HASH, DOMAIN_SIGNATURE, deriveKey, domainHash, frame } from '../../crypto/index.js'
import { text } from './personas.js'
import { useAtRestBackend } from '../../crypto/atRestNode.js'

describe('[C2] domain-separated hashing', () => {
  test('[C2] the frame length-prefixes the domain and every part (big-endian u32)', () => {
    expect(frame('d', [new Uint8Array([7, 8])])).toEqual(new Uint8Array([0, 0, 0, 1, 100, 0, 0, 0, 2, 7, 8]))
  })

  test('[C2] moving bytes between parts, or between domain and parts, changes the framed input', () => {
    expect(frame('d', [text('ab'), text('c')])).not.toEqual(frame('d', [text('a'), text('bc')]))
    expect(frame('da', [text('b')])).not.toEqual(frame('d', [text('ab')]))
    expect(frame('d', [text('a')])).not.toEqual(frame('d', [text('a'), new Uint8Array(0)]))
  })

  test('[C2] the frame is injective over random (domain, parts) pairs', () => {
    const input = fc.tuple(fc.string({ maxLength: 6 }), fc.array(fc.uint8Array({ maxLength: 6 }), { maxLength: 4 }))
    fc.assert(
      fc.property(input, input, ([d1, p1], [d2, p2]) => {
        const same = d1 === d2 && p1.length === p2.length && p1.every((p, i) => p.length === p2[i]!.length && p.every((b, j) => b === p2[i]![j]))
        expect(Buffer.from(frame(d1, p1)).equals(Buffer.from(frame(d2, p2)))).toBe(same)
      }),
    )
  })

  test('[C2] the same bytes hashed under two domains give unrelated hashes', () => {
    const bytes = text('header')
    const hashes = [DOMAIN_HEADER_HASH, DOMAIN_ENVELOPE_HASH, DOMAIN_SIGNATURE].map((d) => Buffer.from(domainHash(d, bytes)).toString('hex'))
    expect(new Set(hashes).size).toBe(3)
    expect(domainHash(DOMAIN_HEADER_HASH, bytes).length).toBe(32)
  })

  // Inputs from 1 KiB are hashed by node:crypto in Node, smaller ones by @noble/hashes: the
  // digest is SHA-256 of the frame either way, on each side of the threshold and without node:crypto.
  test('[C2] domainHash is SHA-256 of the frame for every input size, on node:crypto and on @noble/hashes', () => {
    try {
      for (const backend of ['auto', 'webcrypto'] as const) {
        useAtRestBackend(backend)
        for (const n of [0, 1, 100, 1000, 1005, 1006, 1007, 1024, 4096, 600_000]) {
          const part = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff)
          const want = createHash('sha256').update(frame('fieldchat/v1/test', [part])).digest()
          expect(Buffer.from(domainHash('fieldchat/v1/test', part)).equals(want)).toBe(true)
        }
      }
    } finally {
      useAtRestBackend('auto')
    }
  })

  test('[C2] the envelope domains are distinct strings', () => {
    expect(new Set([DOMAIN_HEADER_HASH, DOMAIN_ENVELOPE_HASH, DOMAIN_SIGNATURE]).size).toBe(3)
  })

  test('[C2] HKDF output depends on the domain (info) and the salt', () => {
    const secret = new Uint8Array(32).fill(1)
    const a = deriveKey(secret, 'fieldchat/v1/a', text('salt'))
    expect(deriveKey(secret, 'fieldchat/v1/a', text('salt'))).toEqual(a)
    expect(deriveKey(secret, 'fieldchat/v1/b', text('salt'))).not.toEqual(a)
    expect(deriveKey(secret, 'fieldchat/v1/a', text('salt2'))).not.toEqual(a)
    expect(deriveKey(secret, 'fieldchat/v1/a', text('salt'), 64).length).toBe(64)
  })
})
