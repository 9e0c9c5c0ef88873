import { Match, Switch, type Accessor } from 'solid-js'
import type { FileScan } from '../../core/messenger.js'
import type { DownloadsBinding } from '../files/downloadBinding.js'
import type { TimelineRow } from '../timeline/rows.js'
import { MessageItem } from './MessageItem.js'

/** One row of the virtualised log ([W10]): "Load earlier messages", a date separator, "Unread messages" ([W24]), or a message. */
export function TimelineRowView(props: {
  row: TimelineRow
  index: number
  measure: (el: HTMLLIElement) => void
  onLoadEarlier: () => void
  downloads?: DownloadsBinding | undefined
  scans?: Accessor<ReadonlyMap<string, FileScan>> | undefined
}) {
  const row = props.row
  return (
    <Switch>
      <Match when={row.kind === 'earlier'}>
        <li class="timeline-row earlier-row" data-index={props.index} data-key={row.key} data-kind={row.kind} ref={props.measure}>
          <button type="button" class="load-earlier small-button" onClick={() => props.onLoadEarlier()}>
            Load earlier messages
          </button>
        </li>
      </Match>
      <Match when={row.kind === 'day' && row}>
        {(day) => (
          <li class="timeline-row day-separator" data-index={props.index} data-key={row.key} data-kind={row.kind} ref={props.measure}>
            <h3 class="day-label">{day().label}</h3>
          </li>
        )}
      </Match>
      <Match when={row.kind === 'unread'}>
        <li class="timeline-row unread-separator" data-index={props.index} data-key={row.key} data-kind={row.kind} ref={props.measure}>
          <h3 class="unread-label">Unread messages</h3>
        </li>
      </Match>
      <Match when={row.kind === 'message' && row}>
        {(m) => (
          <MessageItem
            message={m().message}
            grouped={m().grouped}
            row={{ index: props.index, key: row.key, ref: props.measure }}
            downloads={props.downloads}
            scans={props.scans}
          />
        )}
      </Match>
    </Switch>
  )
}
