import { createSignal, For, Show } from 'solid-js'
import { formatTime } from '../format.js'
import type { NewInvite, OpenInvite } from '../teamBinding.js'
import { InvitePanel } from './InvitePanel.js'

/**
 * Admins of an organisation or a conversation: "Invite someone" makes a new one-time invitation
 * ([T12]) — a link and its QR code — and lists the open ones, each with "Revoke". Made locally
 * first: offline, the invitation is announced to the other admins when this device is back, and
 * the link already works for the person who answers it once this device is online.
 * `id` names the new link's panel; `note` says what the link does, under it.
 */
export function Invitations(props: {
  id: string
  note: string
  invites: readonly OpenInvite[]
  onInvite: () => Promise<NewInvite>
  onRevoke: (invite: string) => Promise<void>
  onError: (err: unknown) => void
}) {
  const [made, setMade] = createSignal<NewInvite>()
  const [busy, setBusy] = createSignal(false)

  const invite = () => {
    setBusy(true)
    props
      .onInvite()
      .then(setMade, props.onError)
      .finally(() => setBusy(false))
  }
  const revoke = (invite: string) => {
    if (made()?.invite === invite) setMade(undefined)
    props.onRevoke(invite).catch(props.onError)
  }

  return (
    <section class="panel" aria-labelledby={`${props.id}-title`}>
      <h3 id={`${props.id}-title`}>Invitations</h3>
      <button type="button" class="primary" disabled={busy()} onClick={invite} aria-controls={made() ? props.id : undefined}>
        Invite someone
      </button>
      <Show when={made()} keyed>
        {(inv) => <InvitePanel id={props.id} link={inv.link} expires={inv.expires} qr note={props.note} />}
      </Show>
      <Show when={props.invites.length > 0}>
        <ul class="plain-list" aria-label="Open invitations">
          <For each={props.invites}>
            {(i) => (
              <li>
                <span>Invitation expiring {formatTime(i.expires)}</span>
                <button type="button" aria-label={`Revoke the invitation expiring ${formatTime(i.expires)}`} onClick={() => revoke(i.invite)}>
                  Revoke
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  )
}
