import { describe, expect, it } from 'vitest'
import type { DisplayMessage } from '../../client/core/messenger.js'
import type { DeviceId, DocId } from '../../protocol/index.js'
import { dayLabel, listTime } from '../../client/web/timeline/dayLabel.js'
import { GROUP_MS, messageKey, newSince, reuseRows, timelineRows } from '../../client/web/timeline/rows.js'
import { previewLine } from '../../client/web/conversationRows.js'

/** [W9]–[W11] The pure parts of the conversation screens: times by age, date separators, grouping, keys, the "new" count, previews. */
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime()
const NOW = at(2026, 3, 12, 15, 30) // Thursday 12 March 2026, 15:30 local time
const GB = 'en-GB'
let n = 0
const msg = (author: string, ts: number, over: Partial<DisplayMessage> = {}): DisplayMessage =>
  ({ id: `${++n}@a`, tag: `t${n}`, segment: 'seg-1' as DocId, author: author as DeviceId, ts, text: `text ${n}`, authorName: author, mine: false, pending: false, ...over }) as DisplayMessage

describe('[W9] conversation list times by age, in the locale', () => {
  it('shows the clock time today, "Yesterday", the weekday within a week, the short date before', () => {
    expect(listTime(at(2026, 3, 12, 14, 2), NOW, GB)).toBe('14:02')
    expect(listTime(at(2026, 3, 12, 0, 1), NOW, GB)).toBe('00:01')
    expect(listTime(at(2026, 3, 11, 23, 59), NOW, GB)).toBe('Yesterday')
    expect(listTime(at(2026, 3, 9, 8, 0), NOW, GB)).toBe('Mon')
    expect(listTime(at(2026, 3, 6, 8, 0), NOW, GB)).toBe('Fri')
    expect(listTime(at(2026, 3, 5, 8, 0), NOW, GB)).toBe('05/03/26')
    expect(listTime(at(2025, 12, 3, 8, 0), NOW, GB)).toBe('03/12/25')
  })
  it('follows the locale (en-US: month first, 12-hour clock) and counts a time ahead of now as today', () => {
    expect(listTime(at(2026, 3, 5, 8, 0), NOW, 'en-US')).toBe('03/05/26')
    expect(listTime(at(2026, 3, 12, 14, 2), NOW, 'en-US')).toMatch(/^02:02\sPM$/)
    expect(listTime(at(2026, 3, 13, 9, 0), NOW, GB)).toBe('09:00')
    expect(listTime(at(2026, 3, 11, 9, 0), NOW, 'de')).toBe('Gestern')
  })
})

describe('[W10] date separators and grouping', () => {
  it('labels days "Today", "Yesterday", then the weekday and date (with the year when not this year\'s)', () => {
    expect(dayLabel(at(2026, 3, 12, 1), NOW, GB)).toBe('Today')
    expect(dayLabel(at(2026, 3, 11, 23), NOW, GB)).toBe('Yesterday')
    expect(dayLabel(at(2026, 3, 9), NOW, GB)).toBe('Monday 9 March')
    expect(dayLabel(at(2025, 12, 31), NOW, GB)).toBe('Wednesday, 31 December 2025')
  })

  it('puts a separator where the day changes and groups one author\'s messages within five minutes of the one before', () => {
    const rows = timelineRows([
      msg('ana', at(2026, 3, 11, 14, 0)),
      msg('ana', at(2026, 3, 11, 14, 2)),
      msg('ana', at(2026, 3, 11, 14, 2) + GROUP_MS),
      msg('ana', at(2026, 3, 11, 14, 20)),
      msg('ben', at(2026, 3, 11, 14, 21)),
      msg('ben', at(2026, 3, 12, 0, 1)),
    ], { now: NOW, hasEarlier: true, locale: GB })
    expect(rows.map((r) => (r.kind === 'message' ? `${r.message.author}${r.grouped ? '+' : ''}` : r.kind === 'day' ? r.label : r.kind))).toEqual([
      'earlier', 'Yesterday', 'ana', 'ana+', 'ana+', 'ana', 'ben', 'Today', 'ben',
    ])
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length)
  })

  it('keys a message by segment and object id: two segments\' first messages share an object id, not a key', () => {
    const a = msg('ana', NOW, { id: '2@x', segment: 's1' as DocId })
    const b = msg('ana', NOW + 1, { id: '2@x', segment: 's2' as DocId })
    expect(messageKey(a)).not.toBe(messageKey(b))
    const rows = timelineRows([a, b], { now: NOW, hasEarlier: false, locale: GB })
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length)
  })

  it('reuses unchanged rows (same message object, grouping and label) and replaces changed ones', () => {
    const a = msg('ana', NOW - 60_000)
    const b = msg('ana', NOW)
    const first = reuseRows(new Map(), timelineRows([a, b], { now: NOW, hasEarlier: false, locale: GB }))
    const c = msg('ben', NOW + 1)
    const second = reuseRows(first.byKey, timelineRows([a, b, c], { now: NOW, hasEarlier: false, locale: GB }))
    expect(second.rows.slice(0, 3)).toEqual(first.rows)
    second.rows.slice(0, 3).forEach((r, i) => expect(r).toBe(first.rows[i]))
    const edited = { ...b }
    const third = reuseRows(second.byKey, timelineRows([a, edited, c], { now: NOW, hasEarlier: false, locale: GB }))
    expect(third.rows[2]).not.toBe(second.rows[2])
    expect(third.rows[1]).toBe(second.rows[1])
  })
})

describe('[W11] "Jump to newest" counts what arrived after the newest message seen at the bottom', () => {
  it('counts the messages after the seen one; nothing when none was seen or it is gone', () => {
    const list = [msg('a', 1), msg('a', 2), msg('b', 3), msg('b', 4)]
    expect(newSince(list, messageKey(list[1]!))).toBe(2)
    expect(newSince(list, messageKey(list[3]!))).toBe(0)
    expect(newSince(list, undefined)).toBe(0)
    expect(newSince(list, 'gone/1@z')).toBe(0)
  })
})

describe('[W9] a row\'s preview line', () => {
  it('names the author ("You" for this device), shows files as "📎 name" before the caption, and a deletion in words', () => {
    expect(previewLine({ authorName: 'Ana', mine: false, text: 'gate open', files: [], ts: NOW })).toBe('Ana: gate open')
    expect(previewLine({ authorName: 'Ana', mine: true, text: '', files: ['a.pdf', 'b.jpg'], ts: NOW })).toBe('You: 📎 a.pdf 📎 b.jpg')
    expect(previewLine({ authorName: 'Ana', mine: false, text: 'see this', files: ['a.pdf'], ts: NOW })).toBe('Ana: 📎 a.pdf see this')
    expect(previewLine({ authorName: 'Ana', mine: false, text: '', files: [], ts: NOW, deleted: true })).toBe('Ana: Message deleted')
  })
})
