import { createEffect, createSignal, Show, type JSX } from 'solid-js'
import type { StoreHealth } from '../storeHealth.js'
import type { Persistence } from '../persist.js'
import { forgetDismissed, isDismissed, rememberDismissed } from '../dismissals.js'

/**
 * Explains what happened to local data: never a silent fresh start, never a silent loss; and
 * whether the browser may clear it. [W12] Each notice can be dismissed; the dismissal is
 * remembered with the situation it described (lost data, the number of unreadable items, storage
 * not persistent), so it comes back only when that changes — not on every start.
 */
export function StoreNotices(props: { health: StoreHealth; persistence: Persistence }) {
  // Read once: the health is checked when the app starts.
  if (!props.health.lost) forgetDismissed('store-lost')
  if (props.health.corrupt === 0) forgetDismissed('store-corrupt')
  createEffect(() => props.persistence === 'persisted' && forgetDismissed('store-persistence'))
  return (
    <>
      <Dismissible when={props.health.lost} kind="store-lost" situation="lost" label="Local data was removed">
        This browser removed FieldChat's data on this device: its keys and its copy of your conversations. Messages that were already
        delivered are safe with the others; messages still pending here could not be sent. Choose your name to set this device up
        again, then ask for new invitations.
      </Dismissible>
      <Dismissible when={props.health.corrupt > 0} kind="store-corrupt" situation={String(props.health.corrupt)} label="Unreadable local data">
        {props.health.corrupt} stored item{props.health.corrupt === 1 ? '' : 's'} could not be read and
        {props.health.corrupt === 1 ? ' was' : ' were'} set aside. Everything else is intact; nothing was deleted.
      </Dismissible>
      <Dismissible when={props.persistence === 'best-effort'} kind="store-persistence" situation="best-effort" label="Storage not persistent" quiet>
        Storage is not persistent: the browser may clear it when space runs low. Installing the app helps.
      </Dismissible>
    </>
  )
}

/** A notice with "Dismiss": hidden for good once dismissed, until `situation` changes. */
function Dismissible(props: { when: boolean; kind: string; situation: string; label: string; quiet?: boolean; children: JSX.Element }) {
  const [dismissed, setDismissed] = createSignal<string>()
  const hidden = () => dismissed() === props.situation || isDismissed(props.kind, props.situation)
  return (
    <Show when={props.when && !hidden()}>
      <section class="store-notice" classList={{ card: !props.quiet, alert: !props.quiet, 'notice-line': !!props.quiet }} role={props.quiet ? 'note' : 'alert'} aria-label={props.label}>
        <p>{props.children}</p>
        <button
          type="button"
          class="link-button"
          aria-label={`Dismiss: ${props.label}`}
          onClick={() => {
            rememberDismissed(props.kind, props.situation)
            setDismissed(props.situation)
          }}
        >
          Dismiss
        </button>
      </section>
    </Show>
  )
}
