import { createSignal, Show } from 'solid-js'
import type { NewInvite, OrgBinding } from '../teamBinding.js'
import { DeviceList } from './DeviceList.js'
import { InvitePanel } from './InvitePanel.js'

/**
 * [T17] This device's person: "Your devices" (this one marked; the others removable, e.g. a lost
 * laptop) and "Link another device", a one-time link for 24 hours, shown as text and QR code.
 * The new device opens it and answers; this device adds it, and an admin's device gives it the keys.
 */
export function MyDevices(props: { org: OrgBinding; user: string; onError: (err: unknown) => void }) {
  const [made, setMade] = createSignal<NewInvite>()
  const [busy, setBusy] = createSignal(false)

  const link = () => {
    setBusy(true)
    props.org
      .linkDevice()
      .then(setMade, props.onError)
      .finally(() => setBusy(false))
  }

  return (
    <section class="panel" aria-labelledby="my-devices-title">
      <h3 id="my-devices-title">Your devices</h3>
      <DeviceList org={props.org} user={props.user} label="Your devices" canRemove onError={props.onError} />
      <button type="button" disabled={busy()} onClick={link} aria-controls={made() ? 'device-link' : undefined}>
        Link another device
      </button>
      <Show when={made()} keyed>
        {(inv) => (
          <>
            <p class="small">
              Open this link on your other device (a laptop, a new phone): paste it into its browser, or scan the QR code with it.
              It is valid for 24 hours and works once.
            </p>
            <InvitePanel
              id="device-link"
              label="Device link"
              link={inv.link}
              expires={inv.expires}
              qr
              qrCaption="Scan with your other device."
              note="Whoever opens this link first can add a device as you: keep it to yourself."
            />
          </>
        )}
      </Show>
    </section>
  )
}
