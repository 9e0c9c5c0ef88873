import { For, Show } from 'solid-js'
import type { DisplayMessage } from '../../core/messenger.js'
import { formatTime } from '../format.js'

/**
 * [W17] "edited" under an edited message; opened (a disclosure), the texts it had before, oldest
 * first, each with when it was replaced.
 */
export function EditHistory(props: { message: DisplayMessage }) {
  return (
    <Show when={props.message.edited !== undefined && !props.message.deleted}>
      <details class="edit-history">
        <summary>edited</summary>
        <ol aria-label="Earlier versions">
          <For each={props.message.edits ?? []}>
            {(e) => (
              <li>
                <time datetime={new Date(e.ts).toISOString()}>{formatTime(e.ts)}</time> <span class="edit-text">{e.text}</span>
              </li>
            )}
          </For>
        </ol>
      </details>
    </Show>
  )
}
