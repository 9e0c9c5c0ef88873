import { For, type JSX } from 'solid-js'
import type { MemberRow } from '../binding.js'
import type { DeviceId } from '../../../protocol/index.js'
import { MemberItem } from './MemberItem.js'

/**
 * Who is in the conversation, one row per person. An admin can remove the others ([T10]), and in
 * a conversation on its own make them admin or take it back ([T3]); nobody else sees those buttons.
 */
export function MembersPanel(props: {
  id: string
  members: readonly MemberRow[]
  isAdmin: boolean
  onRemove: (id: DeviceId) => Promise<void>
  onSetAdmin?: ((id: DeviceId, admin: boolean) => Promise<void>) | undefined
  onError: (err: unknown) => void
  /** Below the list, e.g. a group's "Add people". */
  children?: JSX.Element
}) {
  return (
    <div class="members" id={props.id}>
      <ul aria-label="Members">
        <For each={props.members}>
          {(m) => (
            <MemberItem
              member={m}
              canRemove={props.isAdmin && !m.you}
              onRemove={props.onRemove}
              onSetAdmin={props.onSetAdmin}
              onError={props.onError}
            />
          )}
        </For>
      </ul>
      {props.children}
      <p class="muted small">
        Nothing written after a removal reaches the removed person's devices. Removed from a conversation or organisation, their devices delete what they held of it when they next connect; removed from a group alone, they keep what they read.
      </p>
    </div>
  )
}
