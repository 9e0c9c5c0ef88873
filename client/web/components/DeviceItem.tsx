import { createSignal, Show } from 'solid-js'
import type { DeviceId } from '../../../protocol/index.js'
import type { DeviceRow } from '../teamBinding.js'

/** The first characters of a device id: enough to tell one person's few devices apart. */
export const shortDeviceId = (device: DeviceId): string => device.slice(0, 8)

/**
 * One device of a person ([T17]): its short id (the whole id as a tooltip), "(this device)", and
 * when allowed a two-step "Remove device <id>". This device is never removable from here.
 */
export function DeviceItem(props: { row: DeviceRow; canRemove: boolean; onRemove: (device: DeviceId) => Promise<void>; onError: (err: unknown) => void }) {
  const [confirming, setConfirming] = createSignal(false)
  const [busy, setBusy] = createSignal(false)
  const short = () => shortDeviceId(props.row.device)
  // The Remove button that the confirm step replaces had focus: keep keyboard users on the next step.
  const focusOnMount = (el: HTMLButtonElement) => queueMicrotask(() => el.focus())

  const remove = () => {
    setBusy(true)
    props
      .onRemove(props.row.device)
      .catch(props.onError)
      .finally(() => {
        setBusy(false)
        setConfirming(false)
      })
  }

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
          <Show
            when={confirming()}
            fallback={
              <button type="button" aria-label={`Remove device ${short()}`} onClick={() => setConfirming(true)}>
                Remove
              </button>
            }
          >
            <button type="button" class="danger" aria-label={`Confirm remove device ${short()}`} disabled={busy()} onClick={remove} ref={focusOnMount}>
              Confirm remove
            </button>
            <button type="button" aria-label={`Cancel removing device ${short()}`} disabled={busy()} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </Show>
        </span>
      </Show>
    </li>
  )
}
