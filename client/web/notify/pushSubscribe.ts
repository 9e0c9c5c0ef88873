import type { Messenger } from '../../core/messenger.js'

/**
 * [M62] Wake-ups with the app closed, when the server sends Web Push (GET /v1/push names its
 * VAPID key): this browser subscribes with it and the engine registers the subscription and
 * publishes the device's push token. Resolves false when the server or the browser offers none.
 */
export async function subscribeToPush(messenger: Messenger): Promise<boolean> {
  if (!('serviceWorker' in navigator) || typeof PushManager === 'undefined') return false
  const answer: unknown = await fetch('/v1/push', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null), () => null)
  const key = answer && typeof answer === 'object' ? (answer as { publicKey?: unknown }).publicKey : undefined
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{80,100}$/.test(key)) return false
  const registration = await navigator.serviceWorker.getRegistration()
  if (!registration) return false
  const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(key) })
  const p256dh = sub.getKey('p256dh')
  const auth = sub.getKey('auth')
  if (!p256dh || !auth) return false
  await messenger.enablePush({ endpoint: sub.endpoint, p256dh: new Uint8Array(p256dh), auth: new Uint8Array(auth) })
  return true
}

export async function unsubscribeFromPush(messenger: Messenger): Promise<void> {
  await messenger.disablePush()
  const registration = await navigator.serviceWorker?.getRegistration()
  await (await registration?.pushManager.getSubscription())?.unsubscribe()
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}
