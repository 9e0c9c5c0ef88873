import { Show } from 'solid-js'
import { formatTime } from '../format.js'
import { InvitationCard } from './InvitationCard.js'

/**
 * An organisation invitation was opened ([T12]): say what it is, and answer only when the person
 * asks. The answer goes to the inviting admin's device, which lets them in; until then the
 * organisation waits in the list as "Waiting for an admin to let you in".
 *
 * `device`: a device link ([T17]), made by one of the person's own devices. The answer goes to
 * that device, which adds this one; an admin's device then gives it the keys.
 */
export function OrgJoinPrompt(props: { name: string; expires: number; device?: boolean; onJoin: () => Promise<void>; onCancel: () => void }) {
  return (
    <InvitationCard
      titleId="org-join-title"
      title={props.device ? <>Add this device to {props.name}?</> : <>Join {props.name}?</>}
      join={props.device ? 'Add this device' : <>Join {props.name}</>}
      onJoin={() => props.onJoin()}
      onCancel={() => props.onCancel()}
    >
      <Show
        when={props.device}
        fallback={
          <p>
            You were invited to the organisation <strong>{props.name}</strong>. Joining sends your name and this device's public keys
            to the admin who invited you; you are in once their device lets you in. The invitation works once and expires{' '}
            {formatTime(props.expires)}.
          </p>
        }
      >
        <p>
          This link adds this device to <strong>{props.name}</strong> as another device of the person who made it. Adding it sends
          this device's public keys to your other device, which adds it; an admin's device then gives it the keys, and it reads what
          you may read there. The link works once and expires {formatTime(props.expires)}.
        </p>
      </Show>
    </InvitationCard>
  )
}
