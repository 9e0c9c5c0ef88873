import { ENGINE_LOCK } from '../engineLock.js'
import { SYNC_MESSAGE } from '../notify/notifier.js'
import { syncAndCompose, type WakeResult } from './wakeSync.js'

/**
 * [M62] What the service worker does on a push (a content-free wake, protocol [S52]: the payload
 * is never read). One engine per store (engineLock.ts):
 * - a tab holds the engine: the tab syncs and notifies by itself (told with SYNC_MESSAGE);
 * - nothing holds it: the worker takes the lock and syncs itself for at most BUDGET_MS
 *   (wakeSync.ts), shows what the page would have shown, then stops the engine and lets the lock
 *   go, so a tab opened meanwhile (waiting for the lock) takes over within seconds;
 * - the store is app-locked, or the wake failed: the generic notice, which names no one.
 */
export const BUDGET_MS = 8000
const SETTLE_MS = 500
/** A wake behind another wake waits at most this long for the lock, then gives the generic notice. */
const QUEUE_MS = 15_000

export const GENERIC = { title: 'FieldChat', options: { body: 'New message in FieldChat', tag: 'fieldchat-wake', renotify: true, icon: '/icon-192.png', data: {} } } as const

export async function onPushWake(scope: ServiceWorkerGlobalScope): Promise<void> {
  const locks = scope.navigator.locks
  const run = () =>
    syncAndCompose({
      syncUrl: `${scope.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${scope.location.host}/sync`,
      budgetMs: BUDGET_MS,
      settleMs: SETTLE_MS,
      permitted: () => typeof Notification !== 'undefined' && Notification.permission === 'granted',
    })
  let result: WakeResult | 'busy' | 'failed'
  try {
    result = await locks.request(ENGINE_LOCK, { ifAvailable: true }, (lock) => (lock ? run() : 'busy'))
    if (result === 'busy') {
      const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })
      if (windows.length) {
        for (const w of windows) w.postMessage({ type: SYNC_MESSAGE })
        return
      }
      // No window: the holder is another wake of this worker; this one runs after it.
      result = await locks.request(ENGINE_LOCK, { signal: AbortSignal.timeout(QUEUE_MS) }, run)
    }
  } catch (err) {
    console.warn('the push wake could not sync', err)
    result = 'failed'
  }
  await show(scope, result)
}

async function show(scope: ServiceWorkerGlobalScope, result: WakeResult | 'failed'): Promise<void> {
  if (result !== 'failed' && result.kind === 'synced') {
    for (const n of result.notifications) await scope.registration.showNotification(n.title, n.options)
    return
  }
  if (result !== 'failed' && result.kind === 'no-identity') return
  // [M62] App-locked (the worker never asks for the secret) or failed: nothing from the store.
  await scope.registration.showNotification(GENERIC.title, GENERIC.options)
}
