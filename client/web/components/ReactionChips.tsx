import { For, Show } from 'solid-js'
import type { Reaction } from '../../core/messenger.js'

/**
 * [W16] A message's reactions as chips: the emoji and how many reacted. The chip's accessible
 * name says who reacted; this person's own reaction is pressed (highlighted), and pressing it takes
 * it back; pressing another's adds the same emoji. Without `onToggle` (a pending or deleted
 * message) they are shown only.
 */
export function ReactionChips(props: { reactions: readonly Reaction[] | undefined; onToggle?: ((r: Reaction) => void) | undefined }) {
  return (
    <Show when={props.reactions?.length}>
      <ul class="reactions" aria-label="Reactions">
        <For each={props.reactions}>
          {(r) => (
            <li>
              <button
                type="button"
                class="reaction-chip"
                classList={{ mine: r.mine }}
                aria-pressed={r.mine}
                aria-label={reactionName(r)}
                title={r.mine ? 'Take your reaction back' : `React with ${r.emoji}`}
                disabled={!props.onToggle}
                onClick={() => props.onToggle?.(r)}
              >
                <span aria-hidden="true">{r.emoji}</span> <span aria-hidden="true">{r.count}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  )
}

/** "👍 2: Ana, Ben" (the names the engine gives, at most 20; "and N more" beyond them). */
export function reactionName(r: Reaction): string {
  const more = r.count - r.by.length
  return `${r.emoji} ${r.count}: ${r.by.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
}
