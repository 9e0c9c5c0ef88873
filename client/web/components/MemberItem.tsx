import { createSignal, Show } from 'solid-js'
import type { MemberRow } from '../binding.js'
import type { DeviceId } from '../../../protocol/index.js'

/**
 * One member: name, "(you)", "admin", and for an admin a two-step remove. The second step is an
 * inline button rather than `confirm()`, so it stays in the page's own focus order.
 */
export function MemberItem(props: {
  member: MemberRow
  canRemove: boolean
  onRemove: (id: DeviceId) => Promise<void>
  onError: (err: unknown) => void
}) {
  const [confirming, setConfirming] = createSignal(false)
  const [busy, setBusy] = createSignal(false)

  // The Remove button that the confirm step replaces had focus: keep keyboard users on the next step.
  const focusOnMount = (el: HTMLButtonElement) => queueMicrotask(() => el.focus())

  const remove = () => {
    setBusy(true)
    props
      .onRemove(props.member.id)
      .catch(props.onError)
      .finally(() => {
        setBusy(false)
        setConfirming(false)
      })
  }

  return (
    <li class="member">
      <span class="member-name">
        {props.member.name}
        <Show when={props.member.you}> (you)</Show>
      </span>
      <Show when={props.member.admin}>
        <span class="member-badge">admin</span>
      </Show>
      <Show when={props.canRemove}>
        <span class="member-actions">
          <Show
            when={confirming()}
            fallback={
              <button type="button" aria-label={`Remove ${props.member.name}`} onClick={() => setConfirming(true)}>
                Remove
              </button>
            }
          >
            <button
              type="button"
              class="danger"
              aria-label={`Confirm remove ${props.member.name}`}
              disabled={busy()}
              onClick={remove}
              ref={focusOnMount}
            >
              Confirm remove
            </button>
            <button type="button" aria-label={`Cancel removing ${props.member.name}`} disabled={busy()} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </Show>
        </span>
      </Show>
    </li>
  )
}
