import { Show } from 'solid-js'
import { ConfirmRemove } from './ConfirmRemove.js'
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
          <ConfirmRemove subject={props.member.name} consequence={`The key is replaced: ${props.member.name} reads nothing new here. What they wrote stays.`} onConfirm={() => props.onRemove(props.member.id)} onError={props.onError} />
        </span>
      </Show>
    </li>
  )
}
