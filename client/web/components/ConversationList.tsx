import { For, Show } from 'solid-js'
import type { ConversationSummary } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { hrefOf } from '../route.js'
import { NewConversation } from './NewConversation.js'

/** The conversations on this device; each is a link, so back/forward and reload keep the place. */
export function ConversationList(props: {
  conversations: readonly ConversationSummary[]
  current: ConvId | undefined
  onCreate: (title: string) => Promise<void>
}) {
  return (
    <nav class="conversations" aria-labelledby="conversations-title">
      <h2 id="conversations-title">Conversations</h2>
      <NewConversation onCreate={props.onCreate} />
      <Show when={props.conversations.length > 0} fallback={<p class="muted">No conversations yet. Create one or open an invitation link.</p>}>
        <ul>
          <For each={props.conversations}>
            {(c) => (
              <li>
                <a href={hrefOf({ kind: 'conversation', conv: c.conv })} aria-current={c.conv === props.current ? 'page' : undefined}>
                  {c.title}
                </a>
                <span class="muted small">{c.members === 1 ? '1 member' : `${c.members} members`}</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </nav>
  )
}
