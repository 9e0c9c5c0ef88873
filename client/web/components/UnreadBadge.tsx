import { Show } from 'solid-js'

/** [W24] The unread count of a conversation or organisation row: the number, and in words for screen readers. */
export function UnreadBadge(props: { count: number }) {
  return (
    <Show when={props.count > 0}>
      <span class="unread-badge" data-testid="unread-badge">
        {props.count > 999 ? '999+' : props.count}
        <span class="visually-hidden"> unread</span>
      </span>
    </Show>
  )
}
