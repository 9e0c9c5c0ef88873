import { formatTime } from '../format.js'
import { InvitationCard } from './InvitationCard.js'

/**
 * An organisation invitation was opened ([T12]): say what it is, and answer only when the person
 * asks. The answer goes to the inviting admin's device, which lets them in; until then the
 * organisation waits in the list as "Waiting for an admin to let you in".
 */
export function OrgJoinPrompt(props: { name: string; expires: number; onJoin: () => Promise<void>; onCancel: () => void }) {
  return (
    <InvitationCard
      titleId="org-join-title"
      title={<>Join {props.name}?</>}
      join={<>Join {props.name}</>}
      onJoin={() => props.onJoin()}
      onCancel={() => props.onCancel()}
    >
      <p>
        You were invited to the organisation <strong>{props.name}</strong>. Joining sends your name and this device's public keys to
        the admin who invited you; you are in once their device lets you in. The invitation works once and expires{' '}
        {formatTime(props.expires)}.
      </p>
    </InvitationCard>
  )
}
