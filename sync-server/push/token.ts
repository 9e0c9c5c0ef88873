import { createHash } from 'node:crypto'

/**
 * [S50] A push token: SHA-256 over the domain and the device's push secret, each with a 4-byte
 * big-endian length (the framing of crypto [C2] `domainHash`, so the client's `pushTokenOf`
 * names the same token). The device registers with the secret and publishes only the token: a
 * fellow member who knows the token can ask for a wake, never replace or delete the subscription.
 */
export const PUSH_TOKEN_DOMAIN = 'fieldchat/v1/push/token'

export function pushTokenOf(secret: Uint8Array): Uint8Array {
  const hash = createHash('sha256')
  for (const part of [new TextEncoder().encode(PUSH_TOKEN_DOMAIN), secret]) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(part.length)
    hash.update(len).update(part)
  }
  return new Uint8Array(hash.digest())
}
