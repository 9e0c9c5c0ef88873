import { Show } from 'solid-js'
import { ConfirmRemove } from './ConfirmRemove.js'
import type { DeviceId } from '../../../protocol/index.js'
import type { DeviceRow } from '../teamBinding.js'

/** The first characters of a device id: enough to tell one person's few devices apart. */
export const shortDeviceId = (device: DeviceId): string => device.slice(0, 8)

/**
 * One device of a person ([T17]): its short id (the whole id as a tooltip), "(this device)", and
 * when allowed a two-step "Remove device <id>". This device is never removable from here.
 */
export function DeviceItem(props: { row: DeviceRow; canRemove: boolean; onRemove: (device: DeviceId) => Promise<void>; onError: (err: unknown) => void }) {
  const short = () => shortDeviceId(props.row.device)

  return (
    <li class="member device">
      <span class="member-name">
        <code class="device-id" title={props.row.device}>
          {short()}
        </code>
        <Show when={props.row.me}> (this device)</Show>
      </span>
      <Show when={props.canRemove && !props.row.me}>
        <span class="member-actions">
          <ConfirmRemove subject={`device ${short()}`} consequence="Keys are replaced without this device: it reads nothing new from then on, and it deletes what it held of the organisation when it next connects." onConfirm={() => props.onRemove(props.row.device)} onError={props.onError} />
        </span>
      </Show>
    </li>
  )
}
