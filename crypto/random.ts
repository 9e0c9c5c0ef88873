import nacl from 'tweetnacl'

/**
 * Secure random bytes. tweetnacl refuses to run without a CSPRNG (it throws "no PRNG"),
 * which is the fail-closed behaviour we want: never fall back to Math.random.
 */
export function randomBytes(length: number): Uint8Array {
  return nacl.randomBytes(length)
}
