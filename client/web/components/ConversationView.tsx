import { createSignal, Show, type JSX } from 'solid-js'
import type { ConversationBinding } from '../binding.js'
import { hrefOf } from '../route.js'
import { Composer } from './Composer.js'
import { InvitePanel } from './InvitePanel.js'
import { MembersPanel } from './MembersPanel.js'
import { MessageList } from './MessageList.js'

/**
 * One open conversation: header with Invite and Members, the message log, the composer. An
 * organisation or group has no link invitation (people join the organisation by a one-time
 * invitation, then an admin adds them): its header links to the organisation instead.
 */
export function ConversationView(props: {
  conversation: ConversationBinding
  title: string
  onError: (err: unknown) => void
  /** Below the members list (a group's "Add people"). */
  membersExtra?: JSX.Element
}) {
  const [inviting, setInviting] = createSignal(false)
  const [showMembers, setShowMembers] = createSignal(false)
  const c = () => props.conversation

  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <header class="conversation-header">
        <a class="back" href={hrefOf({ kind: 'home' })} aria-label="Back to conversations">
          ‹
        </a>
        <h2 id="conversation-title">{props.title}</h2>
        <Show when={!c().error()}>
          <Show when={c().space}>
            {(space) => <a href={hrefOf({ kind: 'org', org: space().org })}>Organisation</a>}
          </Show>
          {/* A removed device's link would carry only keys the server no longer accepts. */}
          <Show when={!c().accessLost() && !c().space}>
            <button type="button" aria-expanded={inviting()} aria-controls="invite-panel" onClick={() => setInviting((v) => !v)}>
              Invite
            </button>
          </Show>
          <button type="button" aria-expanded={showMembers()} aria-controls="members-panel" onClick={() => setShowMembers((v) => !v)}>
            Members
          </button>
        </Show>
      </header>
      <Show when={inviting() && !c().error() && !c().accessLost() && !c().space}>
        <InvitePanel id="invite-panel" link={c().inviteLink()} />
      </Show>
      <Show when={showMembers() && !c().error()}>
        <MembersPanel id="members-panel" members={c().members()} isAdmin={c().isAdmin()} onRemove={c().removeMember} onError={props.onError}>
          {props.membersExtra}
        </MembersPanel>
      </Show>
      <Show
        when={!c().error()}
        fallback={
          <p class="alert" role="alert">
            {c().error()}
          </p>
        }
      >
        <Show when={c().accessLost()}>
          <p class="alert" role="alert">
            You were removed from {props.title}. You can still read what was written before; nothing new reaches this device.
          </p>
        </Show>
        <Show when={c().waitingForKey() && !c().accessLost()}>
          <p class="notice-line" role="status" aria-label="Waiting for key">
            Some messages are waiting for a key this device has not received yet.{' '}
            <button type="button" class="link-button" onClick={() => void c().retryKeys()}>
              Retry
            </button>
          </p>
        </Show>
        <MessageList messages={c().messages} hasEarlier={c().hasEarlier()} onLoadEarlier={() => void c().loadEarlier()} />
        <Show when={!c().accessLost()}>
          <Composer onSend={c().send} onError={props.onError} />
        </Show>
      </Show>
    </section>
  )
}
