import type { SystemLine } from '../timerBinding.js'
import { dayLabel, dayStart } from './dayLabel.js'
import type { TimelineRow } from './rows.js'

/** [W28] A system line in the log ("Bea set disappearing messages to 1 day"), keyed by its entry. */
export interface SystemRow {
  readonly kind: 'system'
  readonly key: string
  readonly line: SystemLine
}

export type LogRow = TimelineRow | SystemRow

/**
 * [W28] The log's rows with the system lines put in by time: each before the first message
 * written after it, under the day separator of its own day (added when that day has no message).
 * Row objects are kept while unchanged (`kept`), so the virtualised list keeps their components.
 */
export function withSystemLines(rows: readonly TimelineRow[], lines: readonly SystemLine[], kept: Map<string, SystemRow | TimelineRow>, opts: { now: number; locale?: string }): LogRow[] {
  if (!lines.length) return rows as LogRow[]
  const sorted = [...lines].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
  const out: LogRow[] = []
  const emitted = new Set<string>()
  let day = NaN
  let next = 0
  const reuse = <R extends LogRow>(row: R, same: (old: R) => boolean): R => {
    const old = kept.get(row.key) as R | undefined
    const r = old && old.kind === row.kind && same(old) ? old : row
    kept.set(row.key, r)
    return r
  }
  const flush = (before: number) => {
    for (; next < sorted.length && sorted[next]!.ts < before; next++) {
      const line = sorted[next]!
      const start = dayStart(line.ts)
      if (start !== day) {
        day = start
        const key = `day:${start}`
        if (!emitted.has(key)) {
          emitted.add(key)
          const label = dayLabel(line.ts, opts.now, opts.locale)
          out.push(reuse<TimelineRow>({ kind: 'day', key, label }, (o) => o.kind === 'day' && o.label === label))
        }
      }
      out.push(reuse<SystemRow>({ kind: 'system', key: `system:${line.id}`, line }, (o) => o.line.text === line.text && o.line.ts === line.ts))
    }
  }
  for (const row of rows) {
    if (row.kind === 'message') flush(row.message.ts)
    if (row.kind === 'day') {
      flush(Number(row.key.slice(4))) // lines of earlier days first, under their own day
      if (emitted.has(row.key)) continue // a system line of that day came first and put it there
      emitted.add(row.key)
      day = Number(row.key.slice(4))
    }
    out.push(row)
  }
  flush(Infinity)
  return out
}
