import { Show, type Accessor } from 'solid-js'
import type { DisplayMessage, FileScan } from '../../core/messenger.js'
import { formatTime } from '../format.js'
import { MessageBody } from './MessageBody.js'
import { useMessageUi } from './MessageUiContext.js'
import { ReceiptTicks } from './ReceiptTicks.js'
import { TimerBadge } from './TimerBadge.js'
import type { DownloadsBinding } from '../files/downloadBinding.js'

/**
 * One message: author (from the signature check, never a typed field), time, text with its links
 * checked ([U10]), and on the person's own the receipt ticks ([W20]: "Pending" until acked); its files ([W6]–[W8]) above the text, which is then
 * their caption; replies, reactions, edits and the actions ([W15]–[W19]) in MessageBody. [W10] `grouped`: it follows a message of the same author within five minutes, so
 * the name is not repeated. `row`: its place in the virtualised log (measured there).
 */
export function MessageItem(props: {
  message: DisplayMessage
  grouped?: boolean
  row?: { index: number; key: string; ref: (el: HTMLLIElement) => void }
  downloads?: DownloadsBinding | undefined
  scans?: Accessor<ReadonlyMap<string, FileScan>> | undefined
}) {
  const ui = useMessageUi()
  return (
    <li
      class="message-row"
      classList={{ mine: props.message.mine, grouped: !!props.grouped, highlight: ui?.highlighted() === props.message.ref }}
      data-index={props.row?.index}
      data-key={props.row?.key}
      data-kind="message"
      ref={(el) => props.row?.ref(el)}
    >
      <div class="message" classList={{ mine: props.message.mine, pending: props.message.pending }}>
        <div class="message-meta">
          <Show when={!props.grouped}>
            <span class="message-author">{props.message.mine ? `${props.message.authorName} (you)` : props.message.authorName}</span>
          </Show>
          <time datetime={new Date(props.message.ts).toISOString()}>{formatTime(props.message.ts)}</time>
          <TimerBadge exp={props.message.exp} />
          <Show when={props.message.mine}>
            <ReceiptTicks message={props.message} />
          </Show>
        </div>
        <MessageBody message={props.message} downloads={props.downloads} scans={props.scans} />
      </div>
    </li>
  )
}
