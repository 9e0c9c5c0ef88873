import nacl from 'tweetnacl'

/**
 * Secure random bytes from the platform CSPRNG (WebCrypto `getRandomValues`, in browsers and
 * Node). tweetnacl's generator is the fallback; it throws "no PRNG" without a secure source,
 * which is the fail-closed behaviour we want: never Math.random.
 *
 * Small requests (nonces, ids: up to 64 bytes) are served from a 4 KiB pool filled by one call,
 * because a call costs far more than its bytes (a sealed record at rest takes a nonce per
 * write). Bytes handed out are zeroed in the pool at once, so no byte is ever given twice.
 */
const webcrypto = typeof globalThis.crypto?.getRandomValues === 'function' ? globalThis.crypto : undefined
const POOL_BYTES = 4096
const pool = new Uint8Array(POOL_BYTES)
let used = POOL_BYTES

export function randomBytes(length: number): Uint8Array {
  if (!webcrypto) return nacl.randomBytes(length)
  if (length <= 64) {
    if (used + length > POOL_BYTES) {
      webcrypto.getRandomValues(pool)
      used = 0
    }
    const out = pool.slice(used, used + length)
    pool.fill(0, used, used + length)
    used += length
    return out
  }
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i += 65536) webcrypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)))
  return out
}
