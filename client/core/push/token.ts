import { domainHash, randomBytes } from '../../../crypto/index.js'

/**
 * [M63] A device's push secret (32 random bytes, kept in its local store) and the token it
 * publishes: the domain hash the server computes too (protocol [S50], sync-server/push/token.ts).
 * Knowing the token, a fellow member can ask for a wake; only the secret registers or deletes.
 */
export const PUSH_TOKEN_DOMAIN = 'fieldchat/v1/push/token'

export const newPushSecret = (): Uint8Array => randomBytes(32)

export const pushTokenOf = (secret: Uint8Array): Uint8Array => domainHash(PUSH_TOKEN_DOMAIN, secret)
