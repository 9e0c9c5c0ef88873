import { Show, type Accessor } from 'solid-js'
import type { DisplayMessage, FileScan } from '../../core/messenger.js'
import { formatTime } from '../format.js'
import { MessageText } from './MessageText.js'
import { MessageFiles } from './MessageFiles.js'
import type { DownloadsBinding } from '../files/downloadBinding.js'

/** One message: author (from the signature check, never a typed field), time, text with its links checked ([U10]), and "Pending" until acked; its files ([W6]–[W8]) above the text, which is then their caption. */
export function MessageItem(props: { message: DisplayMessage; downloads?: DownloadsBinding; scans?: Accessor<ReadonlyMap<string, FileScan>> }) {
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
      <Show when={props.message.files?.length && props.downloads}>
        <MessageFiles files={props.message.files!} downloads={props.downloads!} scans={props.scans} />
      </Show>
      <Show when={props.message.text || !props.message.files?.length}>
        <p class="message-text" data-testid="message-text">
          <MessageText text={props.message.text} />
        </p>
      </Show>
    </li>
  )
}
