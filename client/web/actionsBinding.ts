import { createSignal, onCleanup, type Accessor } from 'solid-js'
import { idBytes, type ConvId, type DeviceId } from '../../protocol/index.js'
import { toHex } from '../../crypto/bytes.js'
import type { DisplayMessage, Messenger, MessageRef } from '../core/messenger.js'
import type { MentionCandidate } from './mentions.js'

/**
 * [W15]–[W19] What a conversation's message actions ask of the engine: one `Messenger` call per
 * action ([M40]–[M47]), the pinned messages and the people a mention may name, read again when
 * the conversation's messages or memberships change. Errors are the engine's (ClientError): the
 * components show their text.
 */
export interface ForwardTarget {
  readonly conv: ConvId
  readonly title: string
}

export interface MessageActionsBinding {
  /** [M46] The pinned messages of the loaded window, the most recently pinned first. */
  readonly pinned: Accessor<readonly DisplayMessage[]>
  /** [M43] The members a mention may name: their person's user id (a device's hex outside a directory). */
  readonly people: Accessor<readonly MentionCandidate[]>
  /** The member a stored mention stands for here (undefined: someone no longer a member). */
  mentionOf(id: string): MentionCandidate | undefined
  /** The other conversations on this device, by title. */
  forwardTargets(): ForwardTarget[]
  react(ref: MessageRef, emoji: string): Promise<void>
  unreact(ref: MessageRef, emoji: string): Promise<void>
  edit(ref: MessageRef, text: string): Promise<void>
  deleteForEveryone(ref: MessageRef): Promise<void>
  pin(ref: MessageRef, on: boolean): Promise<void>
  /** [M44] The message in another conversation; a message with files sends them again (fetched and sealed anew). */
  forward(ref: MessageRef, to: ConvId): Promise<void>
}

export function bindMessageActions(messenger: Messenger, conv: ConvId, conversations: () => readonly { conv: ConvId; title: string }[]): MessageActionsBinding {
  const [pinned, setPinned] = createSignal<readonly DisplayMessage[]>([])
  const [people, setPeople] = createSignal<readonly MentionCandidate[]>([])
  const refresh = () => {
    if (!messenger.identity) return
    setPinned(messenger.pinned(conv))
    setPeople(candidates(messenger, conv))
  }
  refresh()
  onCleanup(messenger.events.on('messages', (e) => e.conv === conv && refresh()))
  onCleanup(messenger.events.on('conversations', refresh))

  return {
    pinned,
    people,
    mentionOf: (id) => people().find((p) => p.id === id),
    forwardTargets: () => conversations().filter((c) => c.conv !== conv).map((c) => ({ conv: c.conv, title: c.title })),
    react: (ref, emoji) => messenger.react(conv, ref, emoji),
    unreact: (ref, emoji) => messenger.unreact(conv, ref, emoji),
    edit: (ref, text) => messenger.edit(conv, ref, text),
    deleteForEveryone: (ref) => messenger.deleteMessage(conv, ref),
    pin: (ref, on) => messenger.pin(conv, ref, on),
    async forward(ref, to) {
      // The target's newest segment is loaded first, as when it is opened ([M13]).
      await messenger.openConversation(to)
      await messenger.forward(conv, ref, to)
    },
  }
}

/** One per member person: a mention names the person ([M43]), so every device of theirs sees it. */
function candidates(messenger: Messenger, conv: ConvId): MentionCandidate[] {
  const me = messenger.identity?.deviceId
  const myUser = me && messenger.team.userOfDevice(conv, me)
  return [...messenger.members(conv)].map(([device, name]) => {
    const id = messenger.team.userOfDevice(conv, device) ?? hexOf(device)
    return { id, name, me: device === me || (!!myUser && id === myUser) }
  })
}

const hexOf = (device: DeviceId): string => toHex(idBytes(device))
