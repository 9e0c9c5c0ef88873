import nacl from 'tweetnacl'

/**
 * Secure random bytes from the platform CSPRNG (WebCrypto `getRandomValues`, in browsers and
 * Node). tweetnacl's generator is the fallback; it throws "no PRNG" without a secure source,
 * which is the fail-closed behaviour we want: never Math.random.
 */
const webcrypto = typeof globalThis.crypto?.getRandomValues === 'function' ? globalThis.crypto : undefined

export function randomBytes(length: number): Uint8Array {
  if (!webcrypto) return nacl.randomBytes(length)
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i += 65536) webcrypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)))
  return out
}
