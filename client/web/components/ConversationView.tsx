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
import { createMessageUi, MessageUiContext } from './MessageUiContext.js'
import { PinnedBar } from './PinnedBar.js'
import { ReceiptsProvider } from './ReceiptTicks.js'
import { TypingLine } from './TypingLine.js'
import { useConversationTools } from './ConversationTools.js'
import { bindTimer } from '../timerBinding.js'
import { DisappearingSetting, timerSummary } from './DisappearingSetting.js'
import { JumpOnOpen } from './JumpOnOpen.js'
import { bindCallLines } from '../calls/callLines.js'

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
  // [W25][W27] From the app: "Search in this conversation" and the disappearing-messages timer.
  const tools = useConversationTools()
  const timer = tools ? bindTimer(tools.messenger, props.conversation.conv) : undefined
  const [showTimer, setShowTimer] = createSignal(false)
  // [W34] Calls in the log: "Missed video call from Ann", "Video call, 12 min: Ann, Bo".
  const callLines = tools ? bindCallLines(tools.messenger, props.conversation.conv) : undefined
  const c = () => props.conversation
  // [W15]–[W19] Shared by the pinned bar, the messages and the composer (reply, edit, jumps).
  const ui = createMessageUi({ actions: props.conversation.actions, hasEarlier: () => c().hasEarlier(), loadEarlier: () => c().loadEarlier(), onError: props.onError })
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
      onKeyDown={(e) => {
        // [W14] Escape closes an open panel and gives focus back to the button that opened it.
        if (e.key !== 'Escape' || e.defaultPrevented || (e.target as Element).closest('dialog') || !(inviting() || showMembers() || showTimer())) return
        e.preventDefault()
        const opener = e.currentTarget.querySelector<HTMLElement>(`[aria-controls="${showMembers() ? 'members-panel' : showTimer() ? 'timer-panel' : 'invite-panel'}"]`)
        setInviting(false)
        setShowMembers(false)
        setShowTimer(false)
        opener?.focus()
      }}
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
        <div class="conversation-title-row">
          <a class="back" href={hrefOf({ kind: 'home' })} aria-label="Back to conversations">
            ‹
          </a>
          <h2 id="conversation-title" title={props.title}>
            {props.title}
          </h2>
        </div>
        <Show when={!c().error()}>
          <div class="conversation-actions" role="group" aria-label="Conversation actions">
            <Show when={c().space}>
              {(space) => (
                <a class="small-button" href={hrefOf({ kind: 'org', org: space().org })}>
                  Organisation
                </a>
              )}
            </Show>
            <Show when={invitations()}>
              <button type="button" class="small-button" aria-expanded={inviting()} aria-controls="invite-panel" onClick={() => setInviting((v) => !v)}>
                Invite
              </button>
            </Show>
            <Show when={!c().accessLost() && tools?.calls}>
              {(calls) => {
                // [W32] Join the call running here, or start one.
                const here = () => calls().views().find((v) => v.conv === c().conv)
                const inIt = () => calls().active()?.conv === c().conv
                return (
                  <Show
                    when={here() && here()!.role !== 'joined'}
                    fallback={
                      <Show when={!inIt()}>
                        <button type="button" class="small-button" onClick={() => void calls().start(c().conv, true).catch(props.onError)}>
                          Video call
                        </button>
                        <button type="button" class="small-button" onClick={() => void calls().start(c().conv, false).catch(props.onError)}>
                          Voice call
                        </button>
                      </Show>
                    }
                  >
                    <button type="button" class="small-button" disabled={here()!.full} title={here()!.full ? 'This call is full: a call holds up to 8 people.' : undefined} onClick={() => void calls().accept(c().conv).catch(props.onError)}>
                      {here()!.full ? 'Call full' : 'Join call'}
                    </button>
                  </Show>
                )
              }}
            </Show>
            <button type="button" class="small-button" aria-expanded={showMembers()} aria-controls="members-panel" onClick={() => setShowMembers((v) => !v)}>
              Members
            </button>
            <Show when={tools}>
              {(t) => (
                <button type="button" class="small-button" onClick={() => t().searchIn(c().conv)}>
                  Search in this conversation
                </button>
              )}
            </Show>
            <Show when={timer && !c().accessLost() && timer}>
              {(t) => (
                <button type="button" class="small-button" aria-expanded={showTimer()} aria-controls="timer-panel" onClick={() => setShowTimer((v) => !v)}>
                  {timerSummary(t())}
                </button>
              )}
            </Show>
          </div>
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
      <Show when={showTimer() && !c().error() && !c().accessLost() && timer}>
        {(t) => <DisappearingSetting id="timer-panel" timer={t()} onError={props.onError} />}
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
        <PinnedBar pinned={c().actions.pinned()} onJump={(ref) => void ui.jumpTo(ref)} />
        <MessageUiContext.Provider value={ui}>
          <LinkPolicy policy={c().policy}>
            <ReceiptsProvider presence={c().presence}>
              <JumpOnOpen conv={c().conv} ready={c().opened() && (c().messages.length > 0 || c().hasEarlier())} />
              <MessageList
                messages={c().messages}
                hasEarlier={c().hasEarlier()}
                previewing={c().previewing()}
                onLoadEarlier={() => c().loadEarlier()}
                downloads={c().files.downloads}
                scans={c().files.scans}
                systemLines={[...(timer?.lines() ?? []), ...(callLines?.() ?? [])]}
                firstUnread={c().presence.firstUnread()}
                onAtEnd={c().presence.setAtEnd}
              />
            </ReceiptsProvider>
          </LinkPolicy>
          <TypingLine names={c().presence.typing()} />
          <Show when={!c().accessLost()}>
            <UploadList uploads={c().files.uploads} />
            <Composer onSend={c().send} onError={props.onError} files={c().files.uploads} onTyping={c().presence.typed} />
          </Show>
        </MessageUiContext.Provider>
      </Show>
    </section>
  )
}
