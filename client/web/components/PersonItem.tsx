import { createSignal, Show } from 'solid-js'
import type { DirectoryEntry, OrgBinding } from '../teamBinding.js'
import { ConfirmRemove } from './ConfirmRemove.js'
import { DeviceList } from './DeviceList.js'
import { PersonVerify } from './PersonVerify.js'

/**
 * One person in an organisation's directory: name, "admin", how many devices; "Verify <name>"
 * for everyone else; admins also "Make <name> admin", a two-step "Remove <name> from
 * organisation" (removal takes them out of every group and rotates every key they held, [T13]),
 * and "Devices of <name>", which lists them, each removable in two steps ([T17], a lost phone).
 */
export function PersonItem(props: { person: DirectoryEntry; org: OrgBinding; myName: string; onError: (err: unknown) => void }) {
  const [verifying, setVerifying] = createSignal(false)
  const [showDevices, setShowDevices] = createSignal(false)
  const [busy, setBusy] = createSignal(false)
  const p = () => props.person
  const devices = () => (p().devices.length === 1 ? '1 device' : `${p().devices.length} devices`)

  const act = (action: () => Promise<void>) => {
    setBusy(true)
    action()
      .catch(props.onError)
      .finally(() => setBusy(false))
  }

  return (
    <li class="member person">
      <span class="member-name">
        {p().name}
        <Show when={p().me}> (you)</Show>
      </span>
      <Show when={p().admin}>
        <span class="member-badge">admin</span>
      </Show>
      <Show when={p().verified === 'verified'}>
        <span class="member-badge ok">verified</span>
      </Show>
      <Show when={p().verified === 'changed'}>
        <span class="member-badge warn">devices changed</span>
      </Show>
      <span class="muted small">{devices()}</span>
      <Show when={!p().me}>
        <span class="member-actions">
          <button type="button" aria-label={`Verify ${p().name}`} aria-expanded={verifying()} onClick={() => setVerifying((v) => !v)}>
            Verify
          </button>
          <Show when={props.org.isAdmin()}>
            <button type="button" aria-label={`Devices of ${p().name}`} aria-expanded={showDevices()} onClick={() => setShowDevices((v) => !v)}>
              Devices
            </button>
          </Show>
          <Show when={props.org.isAdmin() && !p().admin}>
            <button type="button" disabled={busy()} onClick={() => act(() => props.org.promote(p().user))}>
              Make {p().name} admin
            </button>
          </Show>
          <Show when={props.org.isAdmin()}>
            <ConfirmRemove
              subject={p().name}
              start={`Remove ${p().name} from organisation`}
              consequence={`${p().name} leaves the organisation and every group in it; every key they held is replaced, so their devices read nothing new, and they delete what they held of the organisation when they next connect.`}
              onConfirm={() => props.org.remove(p().user)} onError={props.onError} />
          </Show>
        </span>
      </Show>
      <Show when={showDevices() && props.org.isAdmin()}>
        <DeviceList org={props.org} user={p().user} label={`Devices of ${p().name}`} canRemove onError={props.onError} />
      </Show>
      <Show when={verifying()}>
        <PersonVerify org={props.org} user={p().user} theirName={p().name} myName={props.myName} verified={p().verified} onError={props.onError} />
      </Show>
    </li>
  )
}
