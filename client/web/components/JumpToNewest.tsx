import { Show } from 'solid-js'

/** [W11] Shown while the reader is scrolled up: back to the newest message, with how many arrived meanwhile. */
export function JumpToNewest(props: { count: number; onJump: () => void }) {
  return (
    <button type="button" class="jump-newest" onClick={() => props.onJump()}>
      Jump to newest
      <Show when={props.count > 0}>
        <span class="jump-count">
          {' '}
          ({props.count} new)
        </span>
      </Show>
    </button>
  )
}
