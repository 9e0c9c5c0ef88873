import { hmac } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { toBase64Url, utf8 } from './bytes.js'
import { CryptoMisuse } from './errors.js'
import { randomBytes } from './random.js'

/** Characters of a TURN username: `<expiry>:<random>`, both plain ASCII. */
const USERNAME = /^[0-9]{1,12}:[A-Za-z0-9_-]{16}$/

export interface TurnCredential {
  /** `<unix seconds of expiry>:<16 random base64url characters>`: no name, no device. */
  readonly username: string
  /** base64(HMAC-SHA1(secret, username)): what a TURN server with `use-auth-secret` recomputes. */
  readonly credential: string
  readonly expiresAt: number
}

/**
 * [X1] A short-lived TURN credential in the "TURN REST API" form coturn checks with
 * `use-auth-secret` / `static-auth-secret`: the username is the expiry time and random bytes,
 * the password HMAC-SHA1 of the username under the secret shared by the sync server and the TURN
 * server. SHA-1 is what TURN servers implement here (as a MAC, where its collisions do not
 * matter); the secret never leaves the two servers. `expiresAt` in unix seconds.
 */
export function turnCredential(secret: string, expiresAt: number, random: Uint8Array = randomBytes(12)): TurnCredential {
  if (typeof secret !== 'string' || secret.length < 16) throw new CryptoMisuse('a TURN secret has at least 16 characters')
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0) throw new CryptoMisuse('a TURN credential expires at a positive whole second')
  if (!(random instanceof Uint8Array) || random.length !== 12) throw new CryptoMisuse('a TURN username takes 12 random bytes')
  const username = `${expiresAt}:${toBase64Url(random)}`
  if (!USERNAME.test(username)) throw new CryptoMisuse('a TURN username out of shape')
  return { username, credential: turnPassword(secret, username), expiresAt }
}

/** base64(HMAC-SHA1(secret, username)), the TURN REST API password. */
export function turnPassword(secret: string, username: string): string {
  const mac = toBase64Url(hmac(sha1, utf8.encode(secret), utf8.encode(username)))
  // Standard base64 with padding, as TURN servers compare it.
  return mac.replaceAll('-', '+').replaceAll('_', '/').padEnd(Math.ceil(mac.length / 4) * 4, '=')
}
