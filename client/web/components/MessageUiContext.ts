import { createContext, createSignal, useContext, type Accessor } from 'solid-js'
import { ClientError, ClientErrorCode } from '../../core/errors.js'
import type { DisplayMessage, MessageRef } from '../../core/messenger.js'
import type { MessageActionsBinding } from '../actionsBinding.js'

/**
 * [W15]–[W19] What a conversation's messages, its pinned bar and its composer share: the engine's
 * message actions, the composer's mode (replying to or editing a message), and jumping to a
 * message (the list scrolls to it, loading earlier segments while it is not loaded, and
 * highlights it for a moment). Provided by the conversation view; a message shown without it
 * (elsewhere) has no actions.
 */
export type ComposerMode = { readonly kind: 'reply'; readonly message: DisplayMessage } | { readonly kind: 'edit'; readonly message: DisplayMessage }

/** Shows a loaded message: false when it is not among the list's rows. */
export type Scroller = (ref: MessageRef) => boolean

export interface MessageUi {
  readonly actions: MessageActionsBinding
  readonly mode: Accessor<ComposerMode | undefined>
  setMode(mode: ComposerMode | undefined): void
  /** The message highlighted after a jump. */
  readonly highlighted: Accessor<MessageRef | undefined>
  jumpTo(ref: MessageRef): Promise<void>
  /** The list gives its way of scrolling to a row (and takes it back when it goes). */
  setScroller(scroller: Scroller | undefined): void
  onError(err: unknown): void
}

export const MessageUiContext = createContext<MessageUi>()
export const useMessageUi = (): MessageUi | undefined => useContext(MessageUiContext)

/** Characters of a message's text the composer's banner quotes. */
export const QUOTE_PREVIEW = 80

/** How long a message stays highlighted after a jump (a visual cue only). */
const HIGHLIGHT_MS = 2500
/** Segments a jump loads at most before it gives up (a load that keeps failing must not spin). */
const MAX_LOADS = 500

export function createMessageUi(opts: {
  actions: MessageActionsBinding
  hasEarlier: () => boolean
  loadEarlier: () => Promise<unknown>
  onError: (err: unknown) => void
}): MessageUi {
  const [mode, setMode] = createSignal<ComposerMode>()
  const [highlighted, setHighlighted] = createSignal<MessageRef>()
  let scroller: Scroller | undefined
  let clear: ReturnType<typeof setTimeout> | undefined
  return {
    actions: opts.actions,
    mode,
    setMode: (m) => setMode(m),
    highlighted,
    setScroller: (s) => (scroller = s),
    onError: opts.onError,
    async jumpTo(ref) {
      // Older segments load one at a time until the message is among the rows, or none is left.
      for (let loads = 0; !scroller?.(ref); loads++) {
        if (!scroller || !opts.hasEarlier() || loads >= MAX_LOADS) return opts.onError(new ClientError(ClientErrorCode.MESSAGE_NOT_FOUND))
        await opts.loadEarlier()
      }
      setHighlighted(() => ref)
      clearTimeout(clear)
      clear = setTimeout(() => setHighlighted(undefined), HIGHLIGHT_MS)
    },
  }
}
