import type { NotificationLevel } from '../../core/team/org.js'

export type { NotificationLevel }

const RANK: Record<NotificationLevel, number> = { content: 2, sender: 1, none: 0 }

/** [M61] The person's choice and the organisation's policy: the one that shows less wins. */
export function strictest(a: NotificationLevel, b: NotificationLevel | undefined): NotificationLevel {
  return b !== undefined && RANK[b] < RANK[a] ? b : a
}

export interface NotificationContent {
  readonly title: string
  readonly body: string
}

/**
 * [M61] What a notification says at each level: `content` — the conversation, then "Ana: the pump
 * is fixed"; `sender` — the conversation and who wrote, no text; `none` — "New message", no name
 * and no conversation. A mention or a reply to this person says so at every level but `none`.
 */
export function notificationContent(level: NotificationLevel, m: { sender: string; title: string; text: string; mention: boolean; reply: boolean; count: number }): NotificationContent {
  if (level === 'none') return { title: 'FieldChat', body: m.count > 1 ? `${m.count} new messages` : 'New message' }
  const what = m.mention ? 'mentioned you' : m.reply ? 'replied to you' : undefined
  const more = m.count > 1 ? ` (${m.count} new)` : ''
  if (level === 'sender') return { title: m.title, body: `${what ? `${m.sender} ${what}` : `New message from ${m.sender}`}${more}` }
  const text = m.text.length > 200 ? `${m.text.slice(0, 199)}…` : m.text
  return { title: what ? `${m.title}: ${m.sender} ${what}` : m.title, body: `${m.sender}: ${text}${more}` }
}
