import { createSignal, Show } from 'solid-js'
import { ConfirmRemove } from './ConfirmRemove.js'
import type { MemberRow } from '../binding.js'
import type { DeviceId } from '../../../protocol/index.js'

/**
 * One member: name, "(you)", "admin", and for an admin a two-step remove. The second step is an
 * inline button rather than `confirm()`, so it stays in the page's own focus order. With
 * `onSetAdmin` (a conversation on its own), an admin also makes the member admin, or takes it back.
 */
export function MemberItem(props: {
  member: MemberRow
  canRemove: boolean
  onRemove: (id: DeviceId) => Promise<void>
  onSetAdmin?: ((id: DeviceId, admin: boolean) => Promise<void>) | undefined
  onError: (err: unknown) => void
}) {
  const [busy, setBusy] = createSignal(false)
  const m = () => props.member
  const setAdmin = (admin: boolean) => {
    const act = props.onSetAdmin
    if (!act) return
    setBusy(true)
    act(m().id, admin)
      .catch(props.onError)
      .finally(() => setBusy(false))
  }

  return (
    <li class="member">
      <span class="member-name">
        {m().name}
        <Show when={m().you}> (you)</Show>
      </span>
      <Show when={m().admin}>
        <span class="member-badge">admin</span>
      </Show>
      <Show when={props.canRemove}>
        <span class="member-actions">
          <Show when={props.onSetAdmin}>
            <Show
              when={m().admin}
              fallback={
                <button type="button" disabled={busy()} onClick={() => setAdmin(true)}>
                  Make {m().name} admin
                </button>
              }
            >
              <button type="button" aria-label={`Take admin from ${m().name}`} disabled={busy()} onClick={() => setAdmin(false)}>
                Take admin
              </button>
            </Show>
          </Show>
          <ConfirmRemove
            subject={m().name}
            consequence={`The key is replaced: ${m().name} reads nothing new here. What they wrote stays.`}
            onConfirm={() => props.onRemove(m().id)}
            onError={props.onError}
          />
        </span>
      </Show>
    </li>
  )
}
