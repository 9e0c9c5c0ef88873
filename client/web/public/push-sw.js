/*
 * [M60][M62] FieldChat service worker part: notifications. Imported by the generated service
 * worker (vite.config.ts, workbox.importScripts).
 * - `push`: a content-free wake (protocol [S52]: the payload is a fixed constant, never read
 *   here). push-wake.js (built from client/web/sw/, loaded below) decides: a tab running the
 *   engine is told to sync (it notifies by itself); with none, the worker runs the engine for a
 *   short sync and shows the notification the page would have shown (client/core/SPEC.md [M62]).
 *   Only if that cannot run (the store is app-locked, the wake failed, the script is missing) is
 *   the generic notice shown: nothing in it comes from the push, so it names no person and no text.
 * - `notificationclick`: focuses a window of the app (or opens one) on the conversation.
 */
;(() => {
  const OPEN = 'fieldchat-open'
  const CONV = /^[A-Za-z0-9_-]{22}$/

  // A service worker may import scripts only while it starts: loaded here, used on a push.
  try {
    importScripts('push-wake.js')
  } catch (err) {
    console.warn('push-wake.js could not be loaded: wakes show the generic notice', err)
  }

  const generic = () => self.registration.showNotification('FieldChat', { body: 'New message in FieldChat', tag: 'fieldchat-wake', renotify: true, icon: '/icon-192.png', data: {} })

  self.addEventListener('push', (event) => {
    const wake = self.fieldchatPushWake
    event.waitUntil(typeof wake === 'function' ? wake().catch(generic) : generic())
  })

  self.addEventListener('notificationclick', (event) => {
    event.notification.close()
    const conv = event.notification.data && typeof event.notification.data.conv === 'string' && CONV.test(event.notification.data.conv) ? event.notification.data.conv : undefined
    event.waitUntil(
      self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (windows) => {
        const w = windows[0]
        if (w) {
          await w.focus()
          if (conv) w.postMessage({ type: OPEN, conv })
          return
        }
        await self.clients.openWindow(conv ? `/#c=${conv}` : '/')
      }),
    )
  })
})()
