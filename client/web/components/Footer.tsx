import { Show } from 'solid-js'

/** A quiet info line: who this device is. (Whether the browser keeps its data is a dismissible notice, StoreNotices [W12].) */
export function Footer(props: { name: string | undefined }) {
  return (
    <footer class="app-footer small muted">
      <Show when={props.name}>
        <span>Signed in on this device as {props.name}.</span>
      </Show>
    </footer>
  )
}
