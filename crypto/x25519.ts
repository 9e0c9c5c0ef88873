import { x25519 } from '@noble/curves/ed25519.js'
import nacl from 'tweetnacl'
import { concat, utf8 } from './bytes.js'
import { CryptoMisuse } from './errors.js'
import { nodeBuiltin } from './nodeBuiltin.js'

/**
 * [C1b] X25519 on the calling thread, for the boxes a device opens (epoch keys [L3], lockboxes
 * [L1], anonymous seals [X4]): node:crypto's (OpenSSL) in Node, @noble/curves' elsewhere, instead
 * of tweetnacl's scalar multiplication, whose first call in a process runs interpreted and cost
 * 14–18 ms alone, and 10–30 ms each inside a cold start (two of them were a quarter of opening the
 * engine here). Same bytes as tweetnacl: both mask the public key's top bit and reduce it modulo p
 * as RFC 7748 says (tests compare them on random and non-canonical keys). One difference, on
 * purpose: a public key of small order, whose shared secret is all zeros and therefore known to
 * anyone, gives no key at all (tweetnacl gives the all-zero secret's box key): what it sealed is
 * refused as undecryptable.
 */

/** The few node:crypto calls used here, typed locally: crypto/ imports no Node module ([C0]). */
interface NodeX25519 {
  createPrivateKey(o: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): unknown
  createPublicKey(o: { key: Uint8Array; format: 'der'; type: 'spki' }): unknown
  diffieHellman(o: { privateKey: unknown; publicKey: unknown }): Uint8Array
}

/** DER prefixes of an X25519 PKCS#8 private key and SPKI public key (RFC 8410), each before the 32 raw bytes. */
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20)
const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00)
const SIGMA = utf8.encode('expand 32-byte k')
const ZERO16 = new Uint8Array(16)
/** tweetnacl's own HSalsa20 core (the step of `box.before` after X25519); its typings omit `lowlevel`. */
const hsalsa20 = (nacl as unknown as { lowlevel: { crypto_core_hsalsa20(o: Uint8Array, i: Uint8Array, k: Uint8Array, c: Uint8Array): void } }).lowlevel.crypto_core_hsalsa20

const nodeCrypto = nodeBuiltin<NodeX25519>('node:crypto')
let backend: 'auto' | 'noble' | 'node-refusing' = 'auto'
/** Tests run the browser's path in Node too, and a node:crypto that refuses every key (a runtime without X25519). */
export function useX25519Backend(b: 'auto' | 'noble' | 'node-refusing'): void {
  backend = b
}

/** OpenSSL's X25519; its output buffer is returned as it is (the caller wipes it). */
function nodeShared(node: NodeX25519, secret: Uint8Array, pub: Uint8Array): Uint8Array {
  const der = concat(PKCS8_PREFIX, secret)
  try {
    const privateKey = node.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    return node.diffieHellman({ privateKey, publicKey: node.createPublicKey({ key: concat(SPKI_PREFIX, pub), format: 'der', type: 'spki' }) })
  } finally {
    der.fill(0)
  }
}

/**
 * X25519(secret, pub), or undefined when `pub` is of small order (an all-zero secret) or not 32
 * bytes (input). A secret that is not 32 bytes is a programmer error ([C0]). Where node:crypto
 * refuses for any reason (small order, or a runtime whose OpenSSL lacks X25519), @noble/curves
 * decides: a refusal of the platform never passes for a forged box.
 */
export function x25519Shared(secret: Uint8Array, pub: Uint8Array): Uint8Array | undefined {
  if (secret.length !== 32) throw new CryptoMisuse('an X25519 secret key must be 32 bytes')
  if (pub.length !== 32) return undefined
  let s: Uint8Array | undefined
  if (nodeCrypto && backend !== 'noble') {
    try {
      if (backend === 'node-refusing') throw new Error('no X25519 in this OpenSSL')
      s = nodeShared(nodeCrypto, secret, pub)
    } catch {
      s = undefined
    }
  }
  if (!s) {
    try {
      s = x25519.getSharedSecret(secret, pub)
    } catch {
      return undefined // noble refuses a small-order key
    }
  }
  if (s.every((b) => b === 0)) return undefined
  return s
}

/** `nacl.box.before`'s step after X25519: the box key of shared secret `s`, which is wiped. */
export function boxKeyOfShared(s: Uint8Array): Uint8Array {
  const k = new Uint8Array(32)
  hsalsa20(k, ZERO16, s, SIGMA)
  s.fill(0)
  return k
}

/** `nacl.box.before(pub, secret)`: HSalsa20 of the X25519 shared secret; undefined as {@link x25519Shared}. */
export function boxKey(pub: Uint8Array, secret: Uint8Array): Uint8Array | undefined {
  const s = x25519Shared(secret, pub)
  return s && boxKeyOfShared(s)
}

/** `nacl.box.open(box, nonce, pub, secret)` through {@link boxKey}: null when it does not open. */
export function openBox(box: Uint8Array, nonce: Uint8Array, pub: Uint8Array, secret: Uint8Array): Uint8Array | null {
  const k = boxKey(pub, secret)
  if (!k) return null
  try {
    return nacl.box.open.after(box, nonce, k)
  } finally {
    k.fill(0)
  }
}
