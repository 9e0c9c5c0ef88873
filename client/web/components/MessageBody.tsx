import { createSignal, Show, type Accessor } from 'solid-js'
import type { DisplayMessage, FileScan, Reaction } from '../../core/messenger.js'
import type { DownloadsBinding } from '../files/downloadBinding.js'
import { EditHistory } from './EditHistory.js'
import { longPress } from './longPress.js'
import { MentionText } from './MentionText.js'
import { MessageActions } from './MessageActions.js'
import { MessageFiles } from './MessageFiles.js'
import { useMessageUi } from './MessageUiContext.js'
import { ReactionChips } from './ReactionChips.js'
import { ReplyQuote } from './ReplyQuote.js'

/**
 * What a message says, below its author and time: the quote of what it answers ([W15]), its
 * files ([W6]–[W8]) and its text with mentions marked ([W19]), or "This message was deleted"
 * ([W18]); then "edited" with the earlier versions ([W17]), its reactions ([W16]) and its actions.
 * Inside a conversation view (MessageUiContext) the quote jumps and the actions work; elsewhere
 * the message is shown only.
 */
export function MessageBody(props: {
  message: DisplayMessage
  downloads?: DownloadsBinding | undefined
  scans?: Accessor<ReadonlyMap<string, FileScan>> | undefined
}) {
  const ui = useMessageUi()
  const [open, setOpen] = createSignal(false)
  const m = () => props.message
  const press = longPress(() => setOpen(true))
  const toggle = (r: Reaction) => {
    if (!ui) return
    const act = r.mine ? ui.actions.unreact(m().ref, r.emoji) : ui.actions.react(m().ref, r.emoji)
    act.catch(ui.onError)
  }
  return (
    <div class="message-body" {...(ui && !m().deleted ? press : {})}>
      <Show when={!m().deleted && (m().fwd || m().pinned || m().mentionsMe)}>
        <p class="message-flags">
          <Show when={m().fwd}>
            <span class="flag-forwarded">Forwarded</span>
          </Show>
          <Show when={m().pinned}>
            <span class="flag-pinned">Pinned</span>
          </Show>
          <Show when={m().mentionsMe}>
            <span class="flag-mention">Mentions you</span>
          </Show>
        </p>
      </Show>
      <ReplyQuote message={m()} onJump={ui ? (ref) => void ui.jumpTo(ref) : undefined} />
      <Show
        when={!m().deleted}
        fallback={
          <p class="message-text deleted" data-testid="message-text">
            This message was deleted
          </p>
        }
      >
        <Show when={m().files?.length && props.downloads}>
          <MessageFiles files={m().files!} downloads={props.downloads!} scans={props.scans} />
        </Show>
        <Show when={m().text || !m().files?.length}>
          <p class="message-text" data-testid="message-text">
            <MentionText message={m()} mentionOf={ui?.actions.mentionOf} />
          </p>
        </Show>
        <EditHistory message={m()} />
      </Show>
      <Show when={ui && !m().deleted}>
        <div class="message-footer">
          <ReactionChips reactions={m().reactions} onToggle={toggle} />
          <MessageActions message={m()} ui={ui!} open={open} setOpen={setOpen} />
        </div>
      </Show>
    </div>
  )
}
