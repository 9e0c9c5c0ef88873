import { describe, expect, test } from 'vitest'
import { notificationContent, strictest } from '../../client/web/notify/levels.js'

/** [M61] What a notification shows: the strictest of the person's choice and the organisation's policy. */
const ana = { sender: 'Ana', title: 'Night shift', text: 'the pump is fixed', mention: false, reply: false, count: 1 }

describe('[M61] notification content', () => {
  test('[M61] the strictest of person and organisation wins; no policy leaves the person\'s choice', () => {
    expect(strictest('content', undefined)).toBe('content')
    expect(strictest('content', 'sender')).toBe('sender')
    expect(strictest('sender', 'content')).toBe('sender')
    expect(strictest('content', 'none')).toBe('none')
    expect(strictest('none', 'content')).toBe('none')
  })

  test('[M61] content shows "Ana: text"; sender leaves the text out; none leaves out the name and the conversation too', () => {
    expect(notificationContent('content', ana)).toEqual({ title: 'Night shift', body: 'Ana: the pump is fixed' })
    const sender = notificationContent('sender', ana)
    expect(sender).toEqual({ title: 'Night shift', body: 'New message from Ana' })
    const none = notificationContent('none', { ...ana, mention: true })
    expect(none).toEqual({ title: 'FieldChat', body: 'New message' })
    for (const c of [sender, none]) expect(JSON.stringify(c)).not.toContain('pump')
    expect(JSON.stringify(none)).not.toMatch(/Ana|Night/)
  })

  test('[M60] a mention or a reply to me says so; several messages are counted', () => {
    expect(notificationContent('content', { ...ana, mention: true }).title).toBe('Night shift: Ana mentioned you')
    expect(notificationContent('sender', { ...ana, reply: true, count: 3 }).body).toBe('Ana replied to you (3 new)')
    expect(notificationContent('none', { ...ana, count: 3 }).body).toBe('3 new messages')
  })
})
