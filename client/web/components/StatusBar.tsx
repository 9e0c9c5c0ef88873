import { Show } from 'solid-js'
import type { Status } from '../../core/messenger.js'

const LABELS: Record<Status['connection'], string> = {
  online: 'Online',
  offline: 'Offline',
  syncing: 'Syncing',
  connecting: 'Connecting',
}

/** Connection state and outbox size: what a person on a patchy link needs to trust the app. */
export function StatusBar(props: { status: Status }) {
  return (
    <div class="status" role="status" aria-label="Connection" data-state={props.status.connection}>
      <span class="status-dot" aria-hidden="true" />
      <span>{LABELS[props.status.connection]}</span>
      <Show when={props.status.pending > 0}>
        <span class="status-pending">{props.status.pending} pending</span>
      </Show>
    </div>
  )
}
