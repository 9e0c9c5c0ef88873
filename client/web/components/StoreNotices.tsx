import { Show } from 'solid-js'
import type { StoreHealth } from '../storeHealth.js'

/** Explains what happened to local data: never a silent fresh start, never a silent loss. */
export function StoreNotices(props: { health: StoreHealth }) {
  return (
    <>
      <Show when={props.health.lost}>
        <section class="card alert" role="alert" aria-label="Local data was removed">
          <p>
            This browser removed FieldChat's data on this device: its keys and its copy of your conversations. Messages that were
            already delivered are safe with the others; messages still pending here could not be sent. Choose your name to set this
            device up again, then ask for new invitations.
          </p>
        </section>
      </Show>
      <Show when={props.health.corrupt > 0}>
        <section class="card alert" role="alert" aria-label="Unreadable local data">
          <p>
            {props.health.corrupt} stored item{props.health.corrupt === 1 ? '' : 's'} could not be read and
            {props.health.corrupt === 1 ? ' was' : ' were'} set aside. Everything else is intact; nothing was deleted.
          </p>
        </section>
      </Show>
    </>
  )
}
