import type { Messenger } from '../../core/messenger.js'
import type { MessageView } from '../../core/documents/model.js'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { toHex } from '../../../crypto/index.js'
import { idBytes } from '../../../protocol/index.js'
import { notificationContent, strictest } from './levels.js'
import type { NotifySettings } from './settings.js'

/** A notification as both the page and the service worker show it ([M60], [M62]). */
export interface ComposedNotification {
  readonly title: string
  readonly options: NotificationOptions & { renotify?: boolean }
}

/** Recent messages of others only: a catch-up of old history after a long absence does not ring. */
export function freshFromOthers(messenger: Messenger, messages: readonly MessageView[], now = Date.now()): MessageView[] {
  const me = messenger.identity?.deviceId
  if (!me) return []
  return messages.filter((m) => m.author !== me && !m.deleted && (m.text || m.files?.length) && m.ts > now - 24 * 3600_000)
}

/**
 * [M60][M61] The one rule for what a notification says, used by the page (notifier.ts) and by the
 * service worker's wake (client/web/sw/wakeSync.ts): undefined when the person turned
 * notifications off here or muted the conversation; otherwise the strictest of their choice and
 * the organisation's policy, naming a mention or a reply to them. `count` is how many new
 * messages of the conversation this notification stands for.
 */
export function composeNotification(messenger: Messenger, conv: ConvId, fresh: readonly MessageView[], settings: NotifySettings, count: number): ComposedNotification | undefined {
  const me = messenger.identity?.deviceId
  if (!me || fresh.length === 0 || !settings.enabled || settings.muted.includes(conv)) return undefined
  const org = messenger.team.orgOf(conv)
  const level = strictest(settings.level, org ? messenger.team.policy(org).notifications : undefined)
  const newest = fresh.reduce((a, b) => (b.ts > a.ts ? b : a))
  const myHex = toHex(idBytes(me))
  const myUser = org ? messenger.team.userOfDevice(conv, me) : undefined
  const mention = fresh.some((m) => m.mentions?.some((x) => x === myHex || x === myUser))
  const mine = new Set(messenger.messages(conv).filter((m) => m.author === me).map((m) => m.id))
  const reply = fresh.some((m) => m.replyTo !== undefined && mine.has(m.replyTo))
  const content = notificationContent(level, {
    sender: messenger.members(conv).get(newest.author) ?? messenger.team.deviceNames(conv).get(newest.author) ?? 'Someone',
    title: messenger.titleOf(conv),
    text: newest.text || (newest.files?.length ? 'sent a file' : ''),
    mention,
    reply,
    count,
  })
  return { title: content.title, options: { body: content.body, tag: `conv:${conv}`, renotify: true, data: { conv }, icon: '/icon-192.png' } }
}

/**
 * [M60][W35] A call ringing for this device while the page is hidden: who calls, voice or video,
 * in which conversation — or, at the level `none`, only "Incoming call". Undefined when the person
 * turned notifications off here or muted the conversation.
 */
export function composeCallNotification(messenger: Messenger, conv: ConvId, caller: string, video: boolean, settings: NotifySettings): ComposedNotification | undefined {
  if (!messenger.identity || !settings.enabled || settings.muted.includes(conv)) return undefined
  const org = messenger.team.orgOf(conv)
  const level = strictest(settings.level, org ? messenger.team.policy(org).notifications : undefined)
  const kind = video ? 'video call' : 'voice call'
  const name = messenger.team.deviceNames(conv).get(caller as DeviceId) ?? 'Someone'
  const content = level === 'none' ? { title: 'FieldChat', body: 'Incoming call' } : { title: messenger.titleOf(conv), body: `${name} is calling: ${kind}` }
  return { title: content.title, options: { body: content.body, tag: `call:${conv}`, renotify: true, requireInteraction: true, data: { conv }, icon: '/icon-192.png' } }
}
