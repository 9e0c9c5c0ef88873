import { createContext, createSignal, Match, Show, Switch, useContext, type JSX } from 'solid-js'
import type { DisplayMessage } from '../../core/messenger.js'
import type { ConversationPresence } from '../presenceBinding.js'
import type { ReceiptState } from '../presence/receiptState.js'
import { messageKey } from '../timeline/rows.js'
import { MessageInfo } from './MessageInfo.js'

const ReceiptsContext = createContext<ConversationPresence>()

/** Gives the messages below it their conversation's receipts (the log's rows are drawn deep inside the virtual list). */
export function ReceiptsProvider(props: { presence: ConversationPresence; children: JSX.Element }) {
  return <ReceiptsContext.Provider value={props.presence}>{props.children}</ReceiptsContext.Provider>
}

const GLYPH: Record<ReceiptState['level'], string> = { pending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓' }

/**
 * [W20] The ticks on one of the person's own messages: pending (a clock: in the outbox), sent (one
 * tick: the server has it), delivered (two), read (two, coloured); named in words ("Read by Bea",
 * "Delivered to 2 of 3"). With more than one other person they open "Message info".
 */
export function ReceiptTicks(props: { message: DisplayMessage }) {
  const presence = useContext(ReceiptsContext)
  const state = (): ReceiptState =>
    presence?.receiptOf(props.message) ?? { level: props.message.pending ? 'pending' : 'sent', label: props.message.pending ? 'Pending' : 'Sent', read: [], delivered: [], waiting: [] }
  const [open, setOpen] = createSignal(false)
  const infoId = () => `info-${messageKey(props.message).replace(/[^A-Za-z0-9_-]/g, '-')}`
  const title = () => (state().level === 'pending' ? 'Saved on this device, not yet delivered to the server' : state().label)
  return (
    <Switch>
      <Match when={state().level !== 'pending' && presence?.group()}>
        <button
          type="button"
          class={`receipt-ticks ${state().level}`}
          aria-label={state().label}
          aria-expanded={open()}
          aria-controls={open() ? infoId() : undefined}
          title="Message info"
          onClick={() => setOpen((v) => !v)}
        >
          <span aria-hidden="true">{GLYPH[state().level]}</span>
        </button>
        <Show when={open()}>
          <MessageInfo id={infoId()} state={state()} />
        </Show>
      </Match>
      <Match when={true}>
        <span class={`receipt-ticks ${state().level}`} role="img" aria-label={state().label} title={title()}>
          {GLYPH[state().level]}
        </span>
      </Match>
    </Switch>
  )
}
