import nacl from 'tweetnacl'
import { afterEach, describe, expect, test } from 'vitest'
import { epochBoxNonce, findEpochKey, fromHex, generateEpochKey, openEpochKey, randomBytes, sealEpochKey, toHex } from '../../crypto/index.js'
import { boxKey, openBox, useX25519Backend, x25519Shared } from '../../crypto/x25519.js'

/**
 * [C1b] The boxes a device opens take their X25519 from node:crypto (Node) or @noble/curves (the
 * browser): the same bytes as tweetnacl's for every key, except small-order keys, refused.
 */
afterEach(() => useX25519Backend('auto'))
const hex = (s: string) => fromHex(s)!
const p = (2n ** 255n - 19n)
const le = (n: bigint) => {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 255n)
  return out
}
/** u-coordinates of small order (RFC 7748 §7 / libsodium's blocklist), canonical and not. */
const SMALL_ORDER = [
  le(0n), le(1n), le(p - 1n), le(p), le(p + 1n),
  hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
  hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
]

for (const backend of ['auto', 'noble', 'node-refusing'] as const) {
  describe(`[C1b] X25519 (${backend === 'auto' ? 'node:crypto' : backend === 'noble' ? '@noble/curves' : 'a node:crypto that refuses X25519: @noble/curves decides'})`, () => {
    test('[C1b] RFC 7748 §6.1: both sides reach the shared secret', () => {
      useX25519Backend(backend)
      const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
      const bPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
      expect(toHex(x25519Shared(a, bPub)!)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
    })

    test('[C1b] the same bytes as tweetnacl for random keys, keys with the top bit set and non-canonical keys (≥ p)', () => {
      useX25519Backend(backend)
      const pubs: Uint8Array[] = []
      for (let i = 0; i < 64; i++) pubs.push(nacl.box.keyPair().publicKey)
      for (let i = 0; i < 32; i++) pubs.push(randomBytes(32)) // top bit set half the time
      for (let k = 2n; k < 19n; k++) pubs.push(le(p + k)) // reduced modulo p to small canonical values
      for (const pub of pubs) {
        const secret = randomBytes(32)
        const expected = nacl.scalarMult(secret, pub)
        const got = x25519Shared(secret, pub)
        if (expected.every((b) => b === 0)) expect(got).toBeUndefined()
        else expect(got && toHex(got)).toBe(toHex(expected))
        const key = boxKey(pub, secret)
        if (got) expect(toHex(key!)).toBe(toHex(nacl.box.before(pub, secret)))
      }
    })

    test('[C1b] a small-order public key gives no key (tweetnacl would give the all-zero secret, known to anyone)', () => {
      useX25519Backend(backend)
      for (const pub of SMALL_ORDER) {
        const secret = randomBytes(32)
        expect(nacl.scalarMult(secret, pub).every((b) => b === 0)).toBe(true)
        expect(x25519Shared(secret, pub)).toBeUndefined()
        expect(boxKey(pub, secret)).toBeUndefined()
      }
      expect(x25519Shared(randomBytes(32), randomBytes(31))).toBeUndefined()
      // A secret of the wrong length is a programmer error ([C0]), as it was with tweetnacl.
      expect(() => x25519Shared(randomBytes(31), randomBytes(32))).toThrow(/32 bytes/)
      expect(() => openEpochKey({ ephemeral: randomBytes(32), box: randomBytes(48) }, 0, randomBytes(64) as never, randomBytes(16))).toThrow(/32 bytes/)
    })

    test('[C1b] openBox opens what nacl.box sealed, and nothing else; a box sealed from a small-order key is refused', () => {
      useX25519Backend(backend)
      const me = nacl.box.keyPair()
      const them = nacl.box.keyPair()
      const nonce = randomBytes(24)
      const box = nacl.box(Uint8Array.of(1, 2, 3), nonce, me.publicKey, them.secretKey)
      expect([...openBox(box, nonce, them.publicKey, me.secretKey)!]).toEqual([1, 2, 3])
      expect(openBox(box, nonce, them.publicKey, nacl.box.keyPair().secretKey)).toBeNull()
      const flipped = box.slice()
      flipped[17]! ^= 1
      expect(openBox(flipped, nonce, them.publicKey, me.secretKey)).toBeNull()
      // Anyone can make this box: its key is HSalsa20 of zeros. tweetnacl opens it; we do not.
      const forged = nacl.box.after(Uint8Array.of(9), nonce, nacl.box.before(SMALL_ORDER[0]!, me.secretKey))
      expect(nacl.box.open(forged, nonce, SMALL_ORDER[0]!, me.secretKey)).not.toBeNull()
      expect(openBox(forged, nonce, SMALL_ORDER[0]!, me.secretKey)).toBeNull()
    })

    test('[C1b][L3] a small-order recipient in a rotation gets a box nobody opens (not one under the all-zero secret); the others open theirs', async () => {
      useX25519Backend(backend)
      const good = nacl.box.keyPair()
      const key = generateEpochKey()
      const context = randomBytes(16)
      const sealed = await sealEpochKey(key, [SMALL_ORDER[5]! as never, good.publicKey as never], context)
      const zeroKey = nacl.box.before(SMALL_ORDER[5]!, new Uint8Array(32))
      expect(nacl.secretbox.open(sealed.boxes[0]!, epochBoxNonce(context, 0), zeroKey)).toBeNull()
      const opened = openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[1]! }, 1, good.secretKey as never, context)
      expect(opened.ok && toHex(opened.value)).toBe(toHex(key))
    })

    test('[C1b][L3] an epoch key boxed under a small-order ephemeral key is refused by index and by trial', () => {
      useX25519Backend(backend)
      const me = nacl.box.keyPair()
      const context = randomBytes(16)
      const ephemeral = SMALL_ORDER[1]!
      const box = nacl.box(randomBytes(32), epochBoxNonce(context, 0), ephemeral, me.secretKey)
      expect(openEpochKey({ ephemeral, box }, 0, me.secretKey as never, context).ok).toBe(false)
      expect(findEpochKey({ ephemeral, boxes: [box] }, me.secretKey as never, context).ok).toBe(false)
    })
  })
}
