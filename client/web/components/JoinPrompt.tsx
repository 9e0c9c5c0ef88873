import { Match, Switch } from 'solid-js'
import { formatTime } from '../format.js'
import { InvitationCard } from './InvitationCard.js'

/**
 * An invitation link was opened ([T12]): say what it is, and answer only when the person asks.
 * The answer goes to the inviting admin's device, which lets them in; until then the invitation
 * waits in the list as "Asked to join … waiting for an admin to let you in". A conversation and
 * an organisation join the same way; only the words differ.
 *
 * `device`: a device link ([T17]), made by one of the person's own devices. The answer goes to
 * that device, which adds this one; an admin's device then gives it the keys.
 */
export function JoinPrompt(props: {
  name: string
  expires: number
  conversation?: boolean | undefined
  device?: boolean | undefined
  onJoin: () => Promise<void>
  onCancel: () => void
}) {
  return (
    <InvitationCard
      titleId="join-title"
      title={props.device ? <>Add this device to {props.name}?</> : <>Join {props.name}?</>}
      join={props.device ? 'Add this device' : <>Join {props.name}</>}
      onJoin={() => props.onJoin()}
      onCancel={() => props.onCancel()}
    >
      <Switch>
        <Match when={props.device}>
          <p>
            This link adds this device to <strong>{props.name}</strong> as another device of the person who made it. Adding it sends
            this device's public keys to your other device, which adds it; an admin's device then gives it the keys, and it reads
            what you may read there. The link works once and expires {formatTime(props.expires)}.
          </p>
        </Match>
        <Match when={props.conversation}>
          <p>
            You were invited to the conversation <strong>{props.name}</strong>. Joining sends your name and this device's public keys
            to the admin who invited you; you are in once their device lets you in, and the conversation's messages arrive then. The
            invitation works once and expires {formatTime(props.expires)}.
          </p>
        </Match>
        <Match when={true}>
          <p>
            You were invited to the organisation <strong>{props.name}</strong>. Joining sends your name and this device's public keys
            to the admin who invited you; you are in once their device lets you in. The invitation works once and expires{' '}
            {formatTime(props.expires)}.
          </p>
        </Match>
      </Switch>
    </InvitationCard>
  )
}
