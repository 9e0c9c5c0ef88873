import { sha256 } from '@noble/hashes/sha2.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { concat, utf8, writeU32 } from './bytes.js'
import { nodeSha256 } from './atRestNode.js'

/**
 * [C2] Every hash is domain separated: SHA-256 over a length-prefixed domain string followed by
 * length-prefixed parts, so no two (domain, parts) tuples can produce the same input.
 */
export function domainHash(domain: string, ...parts: Uint8Array[]): Uint8Array {
  const input = frame(domain, parts)
  // The same SHA-256 through node:crypto where there is one, for inputs where it pays (an
  // envelope's hash covers the whole envelope, up to 512 KiB; @noble/hashes is as fast on a few
  // blocks and slower from about a kilobyte).
  const native = input.length >= NATIVE_FROM_BYTES ? nodeSha256() : undefined
  if (!native) return sha256(input)
  native.update(input)
  return native.digest()
}
const NATIVE_FROM_BYTES = 1024

/** The exact byte string signed or hashed under a domain ([C2], [C4]). */
export function frame(domain: string, parts: Uint8Array[]): Uint8Array {
  const chunks: Uint8Array[] = []
  for (const p of [utf8.encode(domain), ...parts]) {
    const len = new Uint8Array(4)
    writeU32(new DataView(len.buffer), 0, p.length)
    chunks.push(len, p)
  }
  return concat(...chunks)
}

/** HKDF-SHA256 with a domain string as `info`. */
export function deriveKey(secret: Uint8Array, domain: string, salt: Uint8Array, length = 32): Uint8Array {
  return hkdf(sha256, secret, salt, utf8.encode(domain), length)
}

/**
 * [F5] The plain SHA-256 of a file's content, fed in pieces: the one hash here that is *not*
 * domain separated, because it must equal what `sha256sum` prints and what public blocklists of
 * known-bad files list. It names content; it never authenticates anything on its own.
 */
export interface ContentHasher {
  update(bytes: Uint8Array): void
  /** The 32-byte digest; the hasher cannot be used afterwards. */
  digest(): Uint8Array
}

export function contentHasher(): ContentHasher {
  const native = nodeSha256()
  if (native) return native
  const h = sha256.create()
  return { update: (b) => void h.update(b), digest: () => h.digest() }
}
