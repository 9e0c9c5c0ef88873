import { Show } from 'solid-js'
import type { DisplayMessage } from '../../core/messenger.js'
import { formatTime } from '../format.js'

/** One message: author (from the signature check, never a typed field), time, text, and "Pending" until acked. */
export function MessageItem(props: { message: DisplayMessage }) {
  return (
    <li class="message" classList={{ mine: props.message.mine, pending: props.message.pending }}>
      <div class="message-meta">
        <span class="message-author">{props.message.mine ? `${props.message.authorName} (you)` : props.message.authorName}</span>
        <time datetime={new Date(props.message.ts).toISOString()}>{formatTime(props.message.ts)}</time>
        <Show when={props.message.pending}>
          <span class="pending-marker" aria-label="Pending" title="Saved on this device, not yet delivered to the server">
            Pending
          </span>
        </Show>
      </div>
      <p class="message-text" data-testid="message-text">
        {props.message.text}
      </p>
    </li>
  )
}
