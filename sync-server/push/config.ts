import { createECDH } from 'node:crypto'

/**
 * [S50] Web Push, when a deployment configures it: the VAPID key pair (RFC 8292, P-256, base64url
 * as `npm run push:keys` prints them), the subject push services may contact (`mailto:` or
 * `https:`), and the push services subscriptions may point at — by default the browsers' own
 * (an endpoint elsewhere is refused, 1401, so the server never posts to an address a device
 * chose, such as one inside the operator's network). Checked before anything starts:
 * `S150_PUSH_CONFIG`, exit code 2.
 */
export interface PushConfig {
  readonly publicKey: string
  readonly privateKey: string
  readonly subject: string
  /** Allowed endpoint origins; a host may start with `*.` (any subdomain). */
  readonly services: readonly string[]
}

/** The push services of Chrome and Edge (FCM), Firefox (Mozilla autopush), Safari (Apple) and Windows (WNS). */
export const DEFAULT_PUSH_SERVICES = [
  'https://fcm.googleapis.com',
  'https://updates.push.services.mozilla.com',
  'https://web.push.apple.com',
  'https://*.notify.windows.com',
] as const

export class PushConfigError extends Error {
  override name = 'PushConfigError'
  readonly code = 'S150_PUSH_CONFIG'
  constructor(detail: string) {
    super(`S150_PUSH_CONFIG: ${detail}`)
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/

/** All three or none: undefined when none is given; the services list is a comma-separated set of origins. */
export function parsePushConfig(input: { publicKey?: string | undefined; privateKey?: string | undefined; subject?: string | undefined; services?: string | undefined }): PushConfig | undefined {
  const given = [input.publicKey, input.privateKey, input.subject].filter((v) => v !== undefined && v !== '')
  if (given.length === 0) {
    if (input.services) throw new PushConfigError('--push-services needs --vapid-public-key, --vapid-private-key and --vapid-subject')
    return undefined
  }
  if (given.length !== 3) throw new PushConfigError('--vapid-public-key, --vapid-private-key and --vapid-subject go together (npm run push:keys makes a key pair)')
  const publicKey = input.publicKey!
  const privateKey = input.privateKey!
  if (!B64URL.test(publicKey) || Buffer.from(publicKey, 'base64url').length !== 65) throw new PushConfigError('the VAPID public key is 65 bytes in unpadded base64url')
  if (!B64URL.test(privateKey) || Buffer.from(privateKey, 'base64url').length !== 32) throw new PushConfigError('the VAPID private key is 32 bytes in unpadded base64url')
  let derived: Buffer
  try {
    const ecdh = createECDH('prime256v1')
    ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'))
    derived = ecdh.getPublicKey()
  } catch {
    throw new PushConfigError('the VAPID private key is not a P-256 key')
  }
  if (!derived.equals(Buffer.from(publicKey, 'base64url'))) throw new PushConfigError('the VAPID public key does not belong to the private key')
  const subject = input.subject!
  let url: URL | undefined
  try {
    url = new URL(subject)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'mailto:' && url.protocol !== 'https:')) throw new PushConfigError('the VAPID subject is a mailto: or https: URL')
  const services = input.services ? input.services.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_PUSH_SERVICES]
  for (const s of services) if (!isOrigin(s)) throw new PushConfigError(`not an origin (scheme://host[:port]): ${s}`)
  return { publicKey, privateKey, subject, services }
}

function isOrigin(text: string): boolean {
  const m = /^(https?):\/\/(\*\.)?([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d{1,5})?$/i.exec(text)
  return !!m
}

/** [S50] Whether `endpoint` is an https URL (or http, only when that exact origin is listed) of an allowed push service. */
export function allowedEndpoint(endpoint: string, services: readonly string[]): boolean {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return false
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.hash) return false
  return services.some((s) => {
    const wild = s.replace('://*.', '://')
    const allowed = new URL(wild)
    if (allowed.protocol !== url.protocol || allowed.port !== url.port) return false
    return s.includes('://*.') ? url.hostname.endsWith(`.${allowed.hostname}`) : url.hostname === allowed.hostname
  })
}
