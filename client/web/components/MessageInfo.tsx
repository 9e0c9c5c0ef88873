import { For, Show } from 'solid-js'
import type { ReceiptState } from '../presence/receiptState.js'

/**
 * [W20] "Message info" of one of the person's own messages in a group: who has read it, who has
 * it but has not read it (or whose reading is not shown, [M58]), who does not have it yet.
 */
export function MessageInfo(props: { id: string; state: ReceiptState }) {
  const part = (title: string, names: readonly string[]) => (
    <Show when={names.length > 0}>
      <p class="info-heading">{title}</p>
      <ul aria-label={title}>
        <For each={names}>{(n) => <li>{n}</li>}</For>
      </ul>
    </Show>
  )
  return (
    <section id={props.id} class="message-info" aria-label="Message info">
      {part('Read by', props.state.read)}
      {part('Delivered to', props.state.delivered)}
      {part('Not delivered yet', props.state.waiting)}
    </section>
  )
}
