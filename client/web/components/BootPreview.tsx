import { For, Show } from 'solid-js'
import type { DisplayMessage } from '../../core/messenger.js'
import { formatTime } from '../format.js'

/**
 * [W39] At launch, the conversation the address names is painted read-only from its saved newest
 * messages (client/core [M13b]) while the engine loads, newest at the bottom as in the
 * conversation. Nothing in it can be acted on: no actions, and links are plain text (their checks,
 * [U10], come with the conversation itself). The app replaces it once the engine is ready.
 */
export function BootPreview(props: { messages: readonly DisplayMessage[] }) {
  return (
    <main class="boot-preview" aria-busy="true" data-testid="boot-preview">
      <p class="boot-preview-note muted small" role="status">
        Opening FieldChat…
      </p>
      <ol class="boot-preview-list" aria-label="Newest messages">
        <For each={props.messages}>
          {(m) => (
            <li class="message-row" classList={{ mine: m.mine }}>
              <div class="message" classList={{ mine: m.mine, pending: m.pending }}>
                <div class="message-meta">
                  <span class="message-author">{m.mine ? `${m.authorName} (you)` : m.authorName}</span>
                  <time datetime={new Date(m.ts).toISOString()}>{formatTime(m.ts)}</time>
                </div>
                <Show when={!m.deleted} fallback={<p class="message-text muted">Message deleted</p>}>
                  <p class="message-text">{m.text}</p>
                </Show>
              </div>
            </li>
          )}
        </For>
      </ol>
    </main>
  )
}
