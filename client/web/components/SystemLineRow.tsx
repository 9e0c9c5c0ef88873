import type { SystemRow } from '../timeline/systemRows.js'
import { formatTime } from '../format.js'

const ICONS = { timer: '⏱', call: '📞', 'missed-call': '↙' } as const

/** [W28][W34] A system line of the log: who changed the disappearing-messages timer, or a call, and when. */
export function SystemLineRow(props: { row: SystemRow; index: number; measure: (el: HTMLLIElement) => void }) {
  return (
    <li class="timeline-row system-line" data-index={props.index} data-key={props.row.key} data-kind="system" ref={props.measure}>
      <span class="system-text">
        <span aria-hidden="true">{ICONS[props.row.line.icon ?? 'timer']} </span>
        {props.row.line.text}
      </span>{' '}
      <time class="muted small" datetime={new Date(props.row.line.ts).toISOString()}>
        {formatTime(props.row.line.ts)}
      </time>
    </li>
  )
}
