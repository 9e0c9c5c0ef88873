import { createSignal, Show, type JSX } from 'solid-js'
import type { ConversationBinding } from '../binding.js'
import { hrefOf } from '../route.js'
import { Composer } from './Composer.js'
import { CONVERSATION_NOTE } from './InvitePanel.js'
import { Invitations } from './Invitations.js'
import { MembersPanel } from './MembersPanel.js'
import { MessageList } from './MessageList.js'
import { LinkPolicy } from './MessageText.js'
import { UploadList } from './UploadList.js'

/**
 * One open conversation: header with Invite (its admins) and Members, the message log, the
 * composer. Invite opens the conversation's one-time invitations ([T12]): each link admits one
 * person, once an admin's device lets them in. An organisation or group is not invited to here
 * (people join the organisation, then an admin adds them): its header links to the organisation.
 * Files dropped on it go to the composer's tray; uploads on their way show above the composer.
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
  // A removed device cannot invite: nothing it signs is accepted any more.
  const invitations = () => (!c().error() && !c().accessLost() && c().isAdmin() ? c().invitations : undefined)
  // [W8] Files dropped anywhere on the conversation join the composer's tray.
  const [dragging, setDragging] = createSignal(false)
  const carriesFiles = (e: DragEvent) => !c().error() && !c().accessLost() && !!e.dataTransfer?.types.includes('Files')

  return (
    <section
      class="conversation"
      classList={{ dragging: dragging() }}
      aria-labelledby="conversation-title"
      onDragOver={(e) => {
        if (!carriesFiles(e)) return
        e.preventDefault()
        setDragging(true)
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false)
      }}
      onDrop={(e) => {
        setDragging(false)
        if (!carriesFiles(e)) return
        e.preventDefault()
        c().files.uploads.add([...(e.dataTransfer?.files ?? [])])
      }}
    >
      <header class="conversation-header">
        <a class="back" href={hrefOf({ kind: 'home' })} aria-label="Back to conversations">
          ‹
        </a>
        <h2 id="conversation-title">{props.title}</h2>
        <Show when={!c().error()}>
          <Show when={c().space}>
            {(space) => <a href={hrefOf({ kind: 'org', org: space().org })}>Organisation</a>}
          </Show>
          <Show when={invitations()}>
            <button type="button" aria-expanded={inviting()} aria-controls="invite-panel" onClick={() => setInviting((v) => !v)}>
              Invite
            </button>
          </Show>
          <button type="button" aria-expanded={showMembers()} aria-controls="members-panel" onClick={() => setShowMembers((v) => !v)}>
            Members
          </button>
        </Show>
      </header>
      <Show when={inviting() && invitations()}>
        {(inv) => (
          <div id="invite-panel" class="conversation-invites">
            <Invitations
              id="conversation-invite"
              note={CONVERSATION_NOTE}
              invites={inv().invites()}
              onInvite={inv().invite}
              onRevoke={inv().revoke}
              onError={props.onError}
            />
          </div>
        )}
      </Show>
      <Show when={showMembers() && !c().error()}>
        <MembersPanel
          id="members-panel"
          members={c().members()}
          isAdmin={c().isAdmin()}
          onRemove={c().removeMember}
          onSetAdmin={c().setAdmin}
          onError={props.onError}
        >
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
            You were removed from {props.title}. Nothing new reaches this device.
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
        <LinkPolicy policy={c().policy}>
          <MessageList messages={c().messages} hasEarlier={c().hasEarlier()} onLoadEarlier={() => void c().loadEarlier()} downloads={c().files.downloads} scans={c().files.scans} />
        </LinkPolicy>
        <Show when={!c().accessLost()}>
          <UploadList uploads={c().files.uploads} />
          <Composer onSend={c().send} onError={props.onError} files={c().files.uploads} />
        </Show>
      </Show>
    </section>
  )
}
