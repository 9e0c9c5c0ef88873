import { For, Show } from 'solid-js'
import type { DisplayMessage, MessageRef } from '../../core/messenger.js'

/**
 * [W18] At the top of a conversation, its pinned messages (the most recently pinned first, as
 * the engine lists them, [M46]): the newest one shown, the others behind "N more"; pressing one
 * jumps to it in the log.
 */
export function PinnedBar(props: { pinned: readonly DisplayMessage[]; onJump: (ref: MessageRef) => void }) {
  return (
    <Show when={props.pinned.length}>
      <nav class="pinned-bar" aria-label="Pinned messages">
        <PinnedButton message={props.pinned[0]!} onJump={props.onJump} />
        <Show when={props.pinned.length > 1}>
          <details class="pinned-more">
            <summary>{props.pinned.length - 1} more pinned</summary>
            <ul>
              <For each={props.pinned.slice(1)}>
                {(m) => (
                  <li>
                    <PinnedButton message={m} onJump={props.onJump} />
                  </li>
                )}
              </For>
            </ul>
          </details>
        </Show>
      </nav>
    </Show>
  )
}

function PinnedButton(props: { message: DisplayMessage; onJump: (ref: MessageRef) => void }) {
  const text = () => props.message.text || (props.message.files?.length ? `📎 ${props.message.files[0]!.name}` : '')
  return (
    <button type="button" class="pinned-message" onClick={() => props.onJump(props.message.ref)}>
      <span class="visually-hidden">Pinned message from </span>
      <strong class="pinned-author">{props.message.authorName}</strong>: <span class="pinned-text">{text()}</span>
    </button>
  )
}
