import { createMemo, createSignal, onCleanup, type Accessor } from 'solid-js'
import type { DisplayMessage, Messenger } from '../core/messenger.js'
import type { OrgPolicy } from '../core/team/org.js'
import type { ConvId, DeviceId } from '../../protocol/index.js'
import { receiptState, type ReceiptState } from './presence/receiptState.js'
import { firstUnreadKey } from './presence/firstUnread.js'
import { createReadMarker } from './presence/readMarker.js'

/**
 * [W20]–[W24] Receipts, typing and unread in the web app: the engine's presence ([M55]–[M59])
 * as signals. Renders nothing and decides nothing the engine decides: it only asks and listens.
 */
export function bindPresence(messenger: Messenger) {
  // [M58] The person's own switch, stored by the engine on this device.
  const [readReceipts, setOn] = createSignal(messenger.readReceipts)
  return {
    readReceipts,
    async setReadReceipts(on: boolean): Promise<void> {
      await messenger.setReadReceipts(on)
      setOn(messenger.readReceipts)
    },
  }
}

export type PresenceBinding = ReturnType<typeof bindPresence>

/** One open conversation's receipts, typing, unread separator and read marking. */
export interface ConversationPresence {
  /** [W20] The ticks of one of the person's own messages (reactive: receipts, members, settings). */
  receiptOf(m: DisplayMessage): ReceiptState
  /** [W20] More than one other person: the ticks open "Message info". */
  readonly group: Accessor<boolean>
  /** [W23] Names of the people typing now. */
  readonly typing: Accessor<readonly string[]>
  /** [W24] The first message that was unread when the conversation opened (its row key). */
  readonly firstUnread: Accessor<string | undefined>
  /** [W23] The person typed in the composer (the engine paces the signals). */
  typed(): void
  /** The conversation's messages are loaded: the unread separator is placed. */
  opened(messages: readonly DisplayMessage[]): void
  /** [W22] The log is at its newest message (or not). */
  setAtEnd(atEnd: boolean): void
}

/** Call inside the component that holds the conversation open: listeners end with it. */
export function bindConversationPresence(
  messenger: Messenger,
  conv: ConvId,
  deps: { presence: PresenceBinding; policy: Accessor<OrgPolicy>; members: Accessor<readonly { readonly id: DeviceId; readonly name: string }[]> },
): ConversationPresence {
  const me = messenger.identity?.deviceId
  const ownPerson = (device: DeviceId) => {
    if (device === me) return true
    const mine = me === undefined ? undefined : messenger.team.userOfDevice(conv, me)
    return mine !== undefined && messenger.team.userOfDevice(conv, device) === mine
  }
  const [version, setVersion] = createSignal(0)
  const [typing, setTyping] = createSignal<readonly string[]>(messenger.typing(conv))
  const [unread, setUnread] = createSignal(messenger.unread(conv))
  const [atEnd, setAtEnd] = createSignal(true)
  const [firstUnread, setFirstUnread] = createSignal<string>()
  onCleanup(messenger.events.on('receipts', (e) => e.conv === conv && setVersion((v) => v + 1)))
  onCleanup(messenger.events.on('typing', (e) => e.conv === conv && setTyping(e.names)))
  onCleanup(messenger.events.on('unread', (e) => e.conv === conv && setUnread(e.count)))

  const readShown = createMemo(() => (deps.presence.readReceipts(), deps.policy(), messenger.readReceiptsShown(conv)))
  const others = createMemo(() => deps.members().filter((p) => !ownPerson(p.id)).map((p) => p.name), undefined, {
    equals: (a, b) => a.length === b.length && a.every((n, i) => n === b[i]),
  })
  createReadMarker({ atEnd, unread, markRead: () => messenger.markRead(conv) })

  return {
    receiptOf(m) {
      version()
      const pending = m.pending
      return receiptState({ pending, receipts: pending ? { delivered: [], read: [] } : messenger.receipts(conv, { ts: m.ts, id: m.id }), others: others(), readShown: readShown() })
    },
    group: () => others().length > 1,
    typing,
    firstUnread,
    typed: () => void messenger.setTyping(conv).catch(() => undefined),
    opened(messages) {
      const count = messenger.unread(conv)
      setUnread(count)
      setFirstUnread(firstUnreadKey(messages, count, ownPerson))
    },
    setAtEnd,
  }
}
