
import { nodeBuiltin } from './nodeBuiltin.js'

/**
 * [R2][R3] The storage keys' AES-256-GCM and HMAC-SHA-256 in Node, through node:crypto's synchronous
 * calls on the same non-extractable CryptoKeys: `KeyObject.from` hands over the key's native
 * handle, never its bytes, and OpenSSL runs the same primitive Node's WebCrypto runs, on the
 * calling thread instead of one trip to the thread pool per record (about 50 µs each, with the
 * caller idle while it waits: measured in bench:at-rest). Same inputs, same bytes: each path
 * reads what the other wrote (tests/crypto/atRest.test.ts). The browser has no node:crypto, and
 * a key Node will not hand over (another algorithm, size or usage) stays on WebCrypto.
 */
/**
 * The few node:crypto calls used here, typed locally: crypto/ imports no Node module, not even for
 * types ([C0]); the module itself is looked up at run time, where it exists.
 */
interface KeyObject {
  readonly type: string
  readonly symmetricKeySize?: number
}
interface AeadCipher {
  setAAD(aad: Uint8Array): unknown
  update(data: Uint8Array): Uint8Array
  final(): Uint8Array
  getAuthTag(): Uint8Array
  setAuthTag(tag: Uint8Array): unknown
}
interface NodeCryptoModule {
  KeyObject: { from(key: CryptoKey): KeyObject }
  createCipheriv(alg: 'aes-256-gcm', key: KeyObject, iv: Uint8Array, opts: { authTagLength: number }): AeadCipher
  createDecipheriv(alg: 'aes-256-gcm', key: KeyObject, iv: Uint8Array, opts: { authTagLength: number }): AeadCipher
  createHmac(alg: 'sha256', key: KeyObject): { update(data: Uint8Array): { digest(): Uint8Array } }
  createHash(alg: 'sha256'): { update(data: Uint8Array): unknown; digest(): Uint8Array }
}
const TAG_BYTES = 16

// No import: the browser build must not pull node:crypto in.
const node = nodeBuiltin<NodeCryptoModule>('node:crypto')

let webCryptoOnly = false
/** Tests run every [R2]/[R3] rule on the WebCrypto path too. */
export function useAtRestBackend(backend: 'auto' | 'webcrypto'): void {
  webCryptoOnly = backend === 'webcrypto'
}
export function atRestBackend(): 'node' | 'webcrypto' {
  return node && !webCryptoOnly ? 'node' : 'webcrypto'
}

/** Per usage, so a call costs one lookup (a CryptoKey's `usages` is a fresh array per read). */
const handles: Record<'encrypt' | 'decrypt' | 'sign', WeakMap<CryptoKey, KeyObject | null>> = { encrypt: new WeakMap(), decrypt: new WeakMap(), sign: new WeakMap() }

/** The key's native handle, if it is a 256-bit key of `alg` allowed for `usage`; else WebCrypto decides. */
function handleOf(key: CryptoKey, alg: 'AES-GCM' | 'HMAC', usage: 'encrypt' | 'decrypt' | 'sign'): KeyObject | undefined {
  if (!node || webCryptoOnly) return undefined
  let h = handles[usage].get(key)
  if (h === undefined) {
    try {
      const k = node.KeyObject.from(key)
      const hash = alg === 'HMAC' ? (key.algorithm as HmacKeyAlgorithm).hash.name : 'SHA-256'
      const fits = k.type === 'secret' && k.symmetricKeySize === 32 && key.algorithm.name === alg && hash === 'SHA-256' && key.usages.includes(usage)
      h = fits ? k : null
    } catch {
      h = null
    }
    handles[usage].set(key, h)
  }
  return h ?? undefined
}

/**
 * `head ‖ AES-256-GCM(plaintext) ‖ tag` in one buffer — `into` when given (exactly that long), a
 * new one otherwise — or undefined where only WebCrypto can.
 */
export function nodeSeal(key: CryptoKey, head: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, into?: Uint8Array): Uint8Array | undefined {
  const h = handleOf(key, 'AES-GCM', 'encrypt')
  if (!h) return undefined
  const c = node!.createCipheriv('aes-256-gcm', h, nonce, { authTagLength: TAG_BYTES })
  c.setAAD(aad)
  const body = c.update(plaintext)
  const rest = c.final()
  const length = head.length + body.length + rest.length + TAG_BYTES
  if (into && into.length !== length) throw new Error(`a sealed buffer of ${length} bytes, not ${into.length}`)
  const out = into ?? new Uint8Array(length)
  out.set(head, 0)
  out.set(body, head.length)
  out.set(rest, head.length + body.length)
  out.set(c.getAuthTag(), out.length - TAG_BYTES)
  return out
}

/**
 * The plaintext of `sealed` (ciphertext ‖ tag), released only once the tag has verified; null if it
 * does not open; undefined where only WebCrypto can.
 */
export function nodeOpen(key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null | undefined {
  const h = handleOf(key, 'AES-GCM', 'decrypt')
  if (!h) return undefined
  try {
    const d = node!.createDecipheriv('aes-256-gcm', h, nonce, { authTagLength: TAG_BYTES })
    d.setAAD(aad)
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    const body = d.update(sealed.subarray(0, sealed.length - TAG_BYTES))
    d.final() // throws unless the tag verifies
    // A plain Uint8Array, not a Node Buffer: a view when the Buffer has its memory to itself (it
    // does: node:crypto allocates each output), a copy if it were ever a slice of a shared pool.
    const own = body.byteOffset === 0 && body.buffer.byteLength === body.length
    return own ? new Uint8Array(body.buffer, 0, body.length) : new Uint8Array(body)
  } catch {
    return null
  }
}

/** HMAC-SHA-256 of `data`, or undefined where only WebCrypto can. */
export function nodeHmac(key: CryptoKey, data: Uint8Array): Uint8Array | undefined {
  const h = handleOf(key, 'HMAC', 'sign')
  if (!h) return undefined
  return new Uint8Array(node!.createHmac('sha256', h).update(data).digest())
}

/**
 * [F5] A file's content SHA-256 through node:crypto (OpenSSL, ~4× @noble/hashes on large files:
 * bench:files found the pure-JS hash a third of sealing); undefined in the browser. Same digest.
 */
export function nodeSha256(): { update(bytes: Uint8Array): void; digest(): Uint8Array } | undefined {
  if (!node || webCryptoOnly) return undefined
  const h = node.createHash('sha256')
  return { update: (b) => void h.update(b), digest: () => new Uint8Array(h.digest()) }
}
