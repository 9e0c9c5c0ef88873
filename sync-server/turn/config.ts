import { MAX_TURN_URLS, TURN_URL } from '../../protocol/index.js'

/**
 * [S55] TURN for calls, when a deployment runs a TURN server beside this one (coturn with
 * `use-auth-secret`): its URLs, the secret both servers share, and how long a credential lasts.
 * Checked before anything starts: `S160_TURN_CONFIG`, exit code 2.
 */
export interface TurnConfig {
  readonly urls: readonly string[]
  readonly secret: string
  readonly ttlSeconds: number
}

export const DEFAULT_TURN_TTL_SECONDS = 3_600
/** A credential lives at least a minute and at most a day. */
const TTL_RANGE = [60, 86_400] as const

export class TurnConfigError extends Error {
  override name = 'TurnConfigError'
  readonly code = 'S160_TURN_CONFIG'
  constructor(detail: string) {
    super(`S160_TURN_CONFIG: ${detail}`)
  }
}

/** Both or neither of the URLs (comma-separated) and the secret; undefined when neither is given. */
export function parseTurnConfig(input: { urls?: string | undefined; secret?: string | undefined; ttl?: string | undefined }): TurnConfig | undefined {
  const urlsText = input.urls ?? ''
  const secret = input.secret ?? ''
  if (!urlsText && !secret) {
    if (input.ttl) throw new TurnConfigError('--turn-ttl needs --turn-url and --turn-secret')
    return undefined
  }
  if (!urlsText || !secret) throw new TurnConfigError('--turn-url and --turn-secret go together (the secret is the TURN server\'s static-auth-secret)')
  const urls = urlsText.split(',').map((u) => u.trim()).filter((u) => u !== '')
  if (!urls.length || urls.length > MAX_TURN_URLS) throw new TurnConfigError(`1 to ${MAX_TURN_URLS} TURN URLs`)
  for (const url of urls) if (!TURN_URL.test(url)) throw new TurnConfigError(`not a TURN URL: ${url} (turn:host[:port][?transport=udp|tcp], turns:… or stun:…)`)
  if (!urls.some((u) => u.startsWith('turn'))) throw new TurnConfigError('at least one turn: or turns: URL (stun: alone relays nothing)')
  if (secret.length < 16) throw new TurnConfigError('the TURN secret has at least 16 characters')
  if (input.ttl && !/^[0-9]{1,6}$/.test(input.ttl)) throw new TurnConfigError('--turn-ttl is a whole number of seconds')
  const ttlSeconds = input.ttl ? Number(input.ttl) : DEFAULT_TURN_TTL_SECONDS
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < TTL_RANGE[0] || ttlSeconds > TTL_RANGE[1]) throw new TurnConfigError(`--turn-ttl is whole seconds from ${TTL_RANGE[0]} to ${TTL_RANGE[1]}`)
  return { urls, secret, ttlSeconds }
}
