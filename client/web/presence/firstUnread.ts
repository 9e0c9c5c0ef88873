import type { DisplayMessage } from '../../core/messenger.js'
import type { DeviceId } from '../../../protocol/index.js'
import { messageKey } from '../timeline/rows.js'

/**
 * [W24] The key of the first unread message: the `unread`-th message from other people counted
 * back from the newest ([M56] counts exactly those after the read cursor). Undefined when none.
 */
export function firstUnreadKey(messages: readonly DisplayMessage[], unread: number, ownPerson: (device: DeviceId) => boolean): string | undefined {
  if (unread <= 0) return undefined
  let left = unread
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!
    if (ownPerson(m.author)) continue
    if (--left === 0) return messageKey(m)
  }
  // More unread than loaded: the first loaded message from others is the first one shown.
  const first = messages.find((m) => !ownPerson(m.author))
  return first && messageKey(first)
}
