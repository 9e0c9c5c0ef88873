import { describe, expect, it } from 'vitest'
import type { SearchHit } from '../../client/core/messenger.js'
import type { DisplayMessage } from '../../client/core/messenger.js'
import { groupHits, snippetPieces } from '../../client/web/searchText.js'
import { remainingShort, remainingText } from '../../client/web/timeline/remaining.js'
import { timelineRows } from '../../client/web/timeline/rows.js'
import { withSystemLines, type SystemRow } from '../../client/web/timeline/systemRows.js'
import type { TimelineRow } from '../../client/web/timeline/rows.js'
import type { ConvId, DeviceId, DocId } from '../../protocol/index.js'

const hit = (conv: string, id: string): SearchHit =>
  ({ conv: conv as ConvId, convTitle: `T${conv}`, id, segment: 's' as DocId, ts: 1, author: 'a' as DeviceId, authorName: 'Ana', text: id, snippet: { text: id, ranges: [] }, score: 1 }) as SearchHit

describe('search text', () => {
  it('[W25] hits are grouped by conversation in the order of their best hit', () => {
    const groups = groupHits([hit('b', '1'), hit('a', '2'), hit('b', '3')])
    expect(groups.map((g) => [g.title, g.hits.map((h) => h.id)])).toEqual([['Tb', ['1', '3']], ['Ta', ['2']]])
  })

  it('[W25] a snippet is cut into plain and marked pieces; bad ranges are skipped', () => {
    expect(snippetPieces({ text: 'Café crème at the gate', ranges: [[18, 22], [0, 4], [2, 3], [30, 40]] })).toEqual([
      { text: 'Café', match: true },
      { text: ' crème at the ', match: false },
      { text: 'gate', match: true },
    ])
  })
})

describe('timer text', () => {
  it('[W29] the time left in words and short', () => {
    expect(remainingText(30_000)).toBe('less than a minute')
    expect(remainingText(4 * 60_000 + 10_000)).toBe('5 minutes')
    expect(remainingText(60_000)).toBe('1 minute')
    expect(remainingText(3 * 3_600_000)).toBe('3 hours')
    expect(remainingText(86_400_000)).toBe('1 day')
    expect(remainingShort(4 * 60_000 + 10_000)).toBe('5m')
    expect(remainingShort(2 * 86_400_000)).toBe('2d')
  })
})

describe('system lines', () => {
  const day = (d: number, h: number) => new Date(2026, 11, d, h).getTime()
  const msg = (id: string, ts: number) => ({ id, ts, segment: 's' as DocId, author: 'a' as DeviceId, text: id }) as unknown as DisplayMessage
  const line = (id: string, ts: number) => ({ id, ts, author: 'a' as DeviceId, text: `line ${id}` })
  const shape = (rows: readonly (TimelineRow | SystemRow)[]) => rows.map((r) => (r.kind === 'message' ? r.message.id : r.kind === 'system' ? r.line.text : r.kind === 'day' ? r.key : r.kind))
  const now = day(5, 20)

  it('[W28] lines go in by time, under their own day, a day separator added for a day without messages', () => {
    const rows = timelineRows([msg('m1', day(3, 9)), msg('m2', day(5, 9))], { now, hasEarlier: true })
    const out = withSystemLines(rows, [line('b', day(5, 8)), line('a', day(4, 12)), line('c', day(5, 10))], new Map(), { now })
    expect(shape(out)).toEqual(['earlier', `day:${day(3, 0)}`, 'm1', `day:${day(4, 0)}`, 'line a', `day:${day(5, 0)}`, 'line b', 'm2', 'line c'])
  })

  it('[W28] rows are kept while unchanged; without lines the rows are the same', () => {
    const rows = timelineRows([msg('m1', day(5, 9))], { now, hasEarlier: false })
    expect(withSystemLines(rows, [], new Map(), { now })).toBe(rows)
    const kept = new Map()
    const a = withSystemLines(rows, [line('x', day(5, 10))], kept, { now })
    const b = withSystemLines(rows, [line('x', day(5, 10))], kept, { now })
    expect(b[2]).toBe(a[2])
  })
})
