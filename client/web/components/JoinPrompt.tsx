import type { Invitation } from '../../core/conversations/invite.js'
import { InvitationCard } from './InvitationCard.js'

/** An invitation link was opened: say what it is and join only when the person asks. */
export function JoinPrompt(props: { invitation: Invitation; onJoin: () => Promise<void>; onCancel: () => void }) {
  return (
    <InvitationCard
      titleId="join-title"
      title="Invitation"
      join={<>Join {props.invitation.title}</>}
      onJoin={() => props.onJoin()}
      onCancel={() => props.onCancel()}
    >
      <p>
        You were invited to <strong>{props.invitation.title}</strong>. Joining adds you to its members; its history arrives as soon
        as you are online.
      </p>
    </InvitationCard>
  )
}
