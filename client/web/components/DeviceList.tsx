import { For } from 'solid-js'
import type { OrgBinding } from '../teamBinding.js'
import { DeviceItem } from './DeviceItem.js'

/**
 * A person's devices in an organisation ([T17]), named `label` for screen readers. Removing one
 * (a lost phone) takes it out of the organisation and its groups: the keys rotate without it.
 */
export function DeviceList(props: { org: OrgBinding; user: string; label: string; canRemove: boolean; onError: (err: unknown) => void }) {
  // Read once on purpose: a row of the directory keeps its user.
  const devices = props.org.devices(props.user)
  return (
    <ul class="devices" aria-label={props.label}>
      <For each={devices()}>
        {(row) => <DeviceItem row={row} canRemove={props.canRemove} onRemove={props.org.removeDevice} onError={props.onError} />}
      </For>
    </ul>
  )
}
