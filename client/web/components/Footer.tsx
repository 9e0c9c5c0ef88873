import { Show } from 'solid-js'
import type { Persistence } from '../persist.js'

/** A quiet info line: who this device is, and whether the browser promised to keep its data. */
export function Footer(props: { name: string | undefined; persistence: Persistence }) {
  return (
    <footer class="app-footer small muted">
      <Show when={props.name}>
        <span>Signed in on this device as {props.name}.</span>{' '}
      </Show>
      <Show when={props.persistence === 'best-effort'}>
        <span>Storage is not persistent: the browser may clear it when space runs low. Installing the app helps.</span>
      </Show>
    </footer>
  )
}
