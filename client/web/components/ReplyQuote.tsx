import { Show } from 'solid-js'
import type { DisplayMessage, MessageRef } from '../../core/messenger.js'

/**
 * [W15] Above a reply, the message it answers: its author and the start of its text (or "This
 * message was deleted"). Pressing it jumps to that message, loading earlier messages when it is
 * not loaded yet (the quote then says only that it answers an earlier message).
 */
export function ReplyQuote(props: { message: DisplayMessage; onJump?: ((ref: MessageRef) => void) | undefined }) {
  const q = () => props.message.replyQuote
  const target = () => q()?.ref ?? props.message.replyRef
  return (
    <Show when={props.message.replyTo && !props.message.deleted}>
      <button type="button" class="reply-quote" disabled={!target() || !props.onJump} onClick={() => target() && props.onJump?.(target()!)}>
        <Show when={q()} fallback={<span class="quote-text">In reply to an earlier message</span>}>
          {(quote) => (
            <>
              <span class="visually-hidden">In reply to </span>
              <strong class="quote-author">{quote().authorName}</strong>:{' '}
              <span class="quote-text" classList={{ deleted: !!quote().deleted }}>
                {quote().deleted ? 'This message was deleted' : quote().text}
              </span>
            </>
          )}
        </Show>
      </button>
    </Show>
  )
}
