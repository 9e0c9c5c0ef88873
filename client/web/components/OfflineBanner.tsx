import { Show } from 'solid-js'
import type { Status } from '../../core/messenger.js'

/**
 * [W12] A clear bar while this device cannot deliver: "Offline — N waiting to be sent" (messages,
 * membership changes and files in the outbox, `status.pending`), or, while it reconnects with
 * items waiting, "Connecting — N waiting to be sent". Gone when online: a message waiting there
 * for a moment shows its own "Pending". The live region is there from the start, so its changes are announced.
 */
export function OfflineBanner(props: { status: Status }) {
  const shown = () => props.status.connection === 'offline' || (props.status.connection !== 'online' && props.status.pending > 0)
  const waiting = () => (props.status.pending === 1 ? '1 waiting to be sent' : `${props.status.pending} waiting to be sent`)
  const state = () => (props.status.connection === 'offline' ? 'Offline' : 'Connecting')
  return (
    <div class="offline-banner" role="status" aria-label="Delivery">
      <Show when={shown()}>
        <p class="offline-text">
          <strong>{state()}</strong> — {props.status.pending > 0 ? waiting() : 'what you write is sent once back online'}
        </p>
      </Show>
    </div>
  )
}
