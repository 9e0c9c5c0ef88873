import { describe, expect, it } from 'vitest'
import type { DisplayMessage } from '../../client/core/messenger.js'
import type { DeviceId, DocId } from '../../protocol/index.js'
import { receiptState } from '../../client/web/presence/receiptState.js'
import { typingText } from '../../client/web/presence/typingText.js'
import { unreadTitle } from '../../client/web/appBadge.js'
import { firstUnreadKey } from '../../client/web/presence/firstUnread.js'
import { timelineRows } from '../../client/web/timeline/rows.js'

/** [W20]–[W24] The pure parts of receipts, typing and unread in the web app. Personas: Ana writes; Bea, Cy and Dan read. */
const none = { delivered: [], read: [] }
const state = (receipts: { delivered: string[]; read: string[] }, others: string[], readShown = true, pending = false) => receiptState({ pending, receipts, others, readShown })

describe('[W20] receipt ticks', () => {
  it('one other person: pending, sent, delivered, read, each named in words', () => {
    expect(state(none, ['Bea'], true, true)).toMatchObject({ level: 'pending', label: 'Pending' })
    expect(state(none, ['Bea'])).toMatchObject({ level: 'sent', label: 'Sent', waiting: ['Bea'] })
    expect(state({ delivered: ['Bea'], read: [] }, ['Bea'])).toMatchObject({ level: 'delivered', label: 'Delivered to Bea', delivered: ['Bea'], waiting: [] })
    expect(state({ delivered: ['Bea'], read: ['Bea'] }, ['Bea'])).toMatchObject({ level: 'read', label: 'Read by Bea', read: ['Bea'], delivered: [] })
  })
  it('a group: one tick until everyone has it, two once they all do, coloured once all have read; counts in the name', () => {
    const others = ['Bea', 'Cy', 'Dan']
    expect(state({ delivered: ['Bea', 'Cy'], read: [] }, others)).toMatchObject({ level: 'sent', label: 'Delivered to 2 of 3', waiting: ['Dan'] })
    expect(state({ delivered: ['Bea', 'Cy'], read: ['Bea'] }, others)).toMatchObject({ level: 'sent', label: 'Delivered to 2 of 3, read by 1', read: ['Bea'], delivered: ['Cy'] })
    expect(state({ delivered: others, read: ['Cy'] }, others)).toMatchObject({ level: 'delivered', label: 'Delivered to all 3, read by 1' })
    expect(state({ delivered: others, read: others }, others)).toMatchObject({ level: 'read', label: 'Read by all 3' })
    // Someone who joined later has it too: never "4 of 3".
    expect(state({ delivered: ['Bea', 'Cy', 'Dan', 'Eve'], read: [] }, others).label).toBe('Delivered to all 4')
  })
  it('[W21] with read receipts not shown, read is never said, whatever was heard', () => {
    expect(state({ delivered: ['Bea'], read: ['Bea'] }, ['Bea'], false)).toMatchObject({ level: 'delivered', label: 'Delivered to Bea', read: [], delivered: ['Bea'] })
  })
  it('alone in the conversation: sent', () => {
    expect(state(none, [])).toMatchObject({ level: 'sent', label: 'Sent' })
  })
})

describe('[W23] the typing line', () => {
  it('names one, two, three people, then counts the others', () => {
    expect(typingText([])).toBe('')
    expect(typingText(['Bea'])).toBe('Bea is typing…')
    expect(typingText(['Bea', 'Cy'])).toBe('Bea and Cy are typing…')
    expect(typingText(['Bea', 'Cy', 'Dan'])).toBe('Bea, Cy and Dan are typing…')
    expect(typingText(['Bea', 'Cy', 'Dan', 'Eve'])).toBe('Bea, Cy and 2 others are typing…')
  })
})

let n = 0
const msg = (author: string, ts: number): DisplayMessage =>
  ({ id: `${++n}@a`, tag: `t${n}`, segment: 'seg-1' as DocId, author: author as DeviceId, ts, text: `text ${n}`, authorName: author, mine: author === 'ana', pending: false }) as DisplayMessage

describe('[W24] unread', () => {
  const t = new Date(2026, 2, 12, 10, 0).getTime()
  const list = [msg('bea', t), msg('ana', t + 1000), msg('bea', t + 2000), msg('ana', t + 3000), msg('bea', t + 4000)]
  const own = (d: DeviceId) => d === 'ana'
  it('the first unread message is the n-th from others counted back from the newest', () => {
    expect(firstUnreadKey(list, 0, own)).toBeUndefined()
    expect(firstUnreadKey(list, 1, own)).toBe(`seg-1/${list[4]!.id}`)
    expect(firstUnreadKey(list, 2, own)).toBe(`seg-1/${list[2]!.id}`)
    expect(firstUnreadKey(list, 9, own)).toBe(`seg-1/${list[0]!.id}`)
  })
  it('the separator row goes before that message, which shows its author again', () => {
    const rows = timelineRows(list, { now: t, hasEarlier: false, firstUnread: `seg-1/${list[2]!.id}` })
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'message', 'unread', 'message', 'message', 'message'])
    const after = rows[4]!
    expect(after.kind === 'message' && after.grouped).toBe(false)
    expect(timelineRows(list, { now: t, hasEarlier: false }).some((r) => r.kind === 'unread')).toBe(false)
  })
  it('the title carries the total', () => {
    expect(unreadTitle('FieldChat', 0)).toBe('FieldChat')
    expect(unreadTitle('FieldChat', 3)).toBe('(3) FieldChat')
  })
})
