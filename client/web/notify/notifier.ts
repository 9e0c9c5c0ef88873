import type { Messenger } from '../../core/messenger.js'
import type { MessageView } from '../../core/documents/model.js'
import { parseConvId, type ConvId } from '../../../protocol/index.js'
import { composeCallNotification, composeNotification, freshFromOthers } from './compose.js'
import { loadNotifySettings, mirrorNotifySettings } from './settings.js'

/** The conversation the page shows (route.ts: `#c=<conv>`), if any. */
export const convInView = (): ConvId | undefined => (location.hash.startsWith('#c=') ? parseConvId(location.hash.slice(3)) : undefined)

/** The messages the service worker and the page exchange about notifications (client/web/public/push-sw.js). */
export const OPEN_MESSAGE = 'fieldchat-open'
export const SYNC_MESSAGE = 'fieldchat-sync'

/**
 * [M60] System notifications while the app runs: a new message from someone else, when the page
 * is hidden or another conversation is open, shows one notification per conversation (tag,
 * renotify) through the service worker's registration. What it shows is the strictest of the
 * person's choice and the organisation's policy ([M61]). Clicking it opens the conversation.
 * Only renders what the engine's events say; no sync or crypto here.
 */
export function bindNotifications(messenger: Messenger, currentConv: () => ConvId | undefined): () => void {
  const unseen = new Map<ConvId, number>()
  const onVisible = () => {
    if (document.visibilityState === 'visible') unseen.delete(currentConv()!)
  }
  document.addEventListener('visibilitychange', onVisible)
  // [M62] The service worker cannot read localStorage: it reads the copy kept for it.
  void mirrorNotifySettings(loadNotifySettings())
  const off = messenger.events.on('added', ({ conv, messages }) => void notify(conv, messages))
  // [W35] A call that starts ringing while the page is hidden: once per call.
  const rung = new Set<string>()
  const offCalls = messenger.events.on('calls', ({ conv }) => {
    let view
    try {
      view = messenger.calls.view(conv)
    } catch {
      return
    }
    if (!view || view.role !== 'ringing' || rung.has(view.id) || document.visibilityState === 'visible') return
    rung.add(view.id)
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return
    const composed = composeCallNotification(messenger, conv, view.peers[0] ?? '', view.video, loadNotifySettings())
    if (composed) void show(composed.title, composed.options)
  })

  async function notify(conv: ConvId, messages: readonly MessageView[]): Promise<void> {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return
    const fresh = freshFromOthers(messenger, messages)
    if (fresh.length === 0) return
    if (document.visibilityState === 'visible' && currentConv() === conv) return
    const settings = loadNotifySettings()
    const composed = composeNotification(messenger, conv, fresh, settings, (unseen.get(conv) ?? 0) + fresh.length)
    if (!composed) return
    unseen.set(conv, (unseen.get(conv) ?? 0) + fresh.length)
    await show(composed.title, composed.options)
  }

  async function show(title: string, options: NotificationOptions): Promise<void> {
    const registration = await navigator.serviceWorker?.getRegistration()
    if (registration) await registration.showNotification(title, options)
    else new Notification(title, options)
  }

  // [M60] The service worker asks to open a conversation (a notification was clicked) or to sync (a wake).
  const onMessage = (e: MessageEvent) => {
    const data = e.data as { type?: unknown; conv?: unknown } | null
    if (data?.type === OPEN_MESSAGE && typeof data.conv === 'string') {
      const conv = parseConvId(data.conv)
      if (conv) location.hash = `#c=${conv}`
    } else if (data?.type === SYNC_MESSAGE) messenger.kick()
  }
  navigator.serviceWorker?.addEventListener('message', onMessage)
  return () => {
    off()
    offCalls()
    document.removeEventListener('visibilitychange', onVisible)
    navigator.serviceWorker?.removeEventListener('message', onMessage)
  }
}
