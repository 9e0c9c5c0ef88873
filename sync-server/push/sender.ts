import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import webpush from 'web-push'
import type { PushConfig } from './config.js'
import type { PushSubscriptionRecord } from './PushStore.js'

/**
 * [S52] The whole payload of every push: a fixed constant, the same for every device, message
 * and conversation. It is still encrypted (RFC 8291 aes128gcm, by web-push) because push
 * services require it; it tells the device only "something arrived: sync".
 */
export const WAKE_PAYLOAD = 'fieldchat:wake:1'
/** [S52] A wake not delivered within a minute is not worth delivering: the device syncs when it next opens. */
export const WAKE_TTL_SECONDS = 60
const SEND_TIMEOUT_MS = 10_000

/** What the push service answered: a status, or `failed` (no answer: timeout, refused connection). */
export type SendOutcome = number | 'failed'

/**
 * [S52] One content-free Web Push: encrypted and VAPID-signed by web-push, posted here (no
 * redirects followed, 10 s at most, the answer's body ignored).
 */
export function sendWake(config: PushConfig, sub: PushSubscriptionRecord): Promise<SendOutcome> {
  let details: ReturnType<typeof webpush.generateRequestDetails>
  try {
    details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: Buffer.from(sub.p256dh).toString('base64url'), auth: Buffer.from(sub.auth).toString('base64url') } },
      WAKE_PAYLOAD,
      { vapidDetails: { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey }, TTL: WAKE_TTL_SECONDS, urgency: 'high', contentEncoding: 'aes128gcm' },
    )
  } catch {
    return Promise.resolve('failed')
  }
  const url = new URL(details.endpoint)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    const req = send(url, { method: 'POST', headers: details.headers as Record<string, string | number>, timeout: SEND_TIMEOUT_MS }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 'failed'))
      res.on('error', () => resolve('failed'))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve('failed'))
    req.end(details.body ?? undefined)
  })
}
