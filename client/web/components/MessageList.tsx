import { createEffect, For, on, Show, type Accessor } from 'solid-js'
import type { DisplayMessage, FileScan } from '../../core/messenger.js'
import { MessageItem } from './MessageItem.js'
import type { DownloadsBinding } from '../files/downloadBinding.js'

/** The message log. Follows new messages while the reader is at the bottom; stays put otherwise. */
export function MessageList(props: { messages: readonly DisplayMessage[]; hasEarlier: boolean; onLoadEarlier: () => void; downloads?: DownloadsBinding; scans?: Accessor<ReadonlyMap<string, FileScan>> }) {
  let log!: HTMLDivElement
  let atBottom = true

  createEffect(
    on(
      () => [props.messages.length, props.messages[props.messages.length - 1]?.id] as const,
      () => {
        const last = props.messages[props.messages.length - 1]
        if (atBottom || last?.mine) log.scrollTop = log.scrollHeight
      },
    ),
  )

  return (
    <div
      class="log"
      role="log"
      aria-label="Messages"
      tabindex="0"
      ref={log}
      onScroll={() => (atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48)}
    >
      <Show when={props.hasEarlier}>
        <button type="button" class="load-earlier" onClick={() => props.onLoadEarlier()}>
          Load earlier messages
        </button>
      </Show>
      <Show when={props.messages.length > 0} fallback={<p class="muted empty">No messages yet.</p>}>
        <ol class="messages">
          <For each={props.messages}>{(m) => <MessageItem message={m} downloads={props.downloads} scans={props.scans} />}</For>
        </ol>
      </Show>
    </div>
  )
}
