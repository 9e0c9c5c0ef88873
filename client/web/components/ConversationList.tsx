import { For, Show } from 'solid-js'
import type { ConvId } from '../../../protocol/index.js'
import type { ConversationRow } from '../conversationRows.js'
import { hrefOf } from '../route.js'
import { ConversationItem } from './ConversationItem.js'
import { NewConversation } from './NewConversation.js'

/**
 * [W9] The conversations on this device, newest activity first, each with its last message and
 * time; each is a link, so back/forward and reload keep the place.
 */
export function ConversationList(props: {
  conversations: readonly ConversationRow[]
  current: ConvId | undefined
  onCreate: (title: string) => Promise<void>
}) {
  return (
    <nav class="conversations" aria-labelledby="conversations-title">
      <h2 id="conversations-title">Conversations</h2>
      <NewConversation onCreate={props.onCreate} />
      <Show when={props.conversations.length > 0} fallback={<p class="muted">No conversations yet. Create one or open an invitation link.</p>}>
        <ul>
          <For each={props.conversations}>{(c) => <ConversationItem row={c} href={hrefOf({ kind: 'conversation', conv: c.conv })} current={c.conv === props.current} />}</For>
        </ul>
      </Show>
    </nav>
  )
}
