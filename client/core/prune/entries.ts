import type * as A from '@automerge/automerge'
import type { DocId } from '../../../protocol/index.js'
import { readAction, type ActionView } from '../documents/actions.js'
import { messageList, readMessage, type MessageView, type SegmentDoc } from '../documents/model.js'
import { readTimer, type TimerView } from '../documents/timer.js'

/** [M71] Every entry of a segment, by kind, as the views read them (malformed ones are left out). */
export interface SegmentEntries {
  readonly messages: readonly MessageView[]
  readonly actions: readonly ActionView[]
  readonly timers: readonly TimerView[]
}

export function readEntries(doc: A.Doc<SegmentDoc>, seg: DocId): SegmentEntries {
  const messages: MessageView[] = []
  const actions: ActionView[] = []
  const timers: TimerView[] = []
  const n = messageList(doc).length
  for (let i = 0; i < n; i++) {
    const m = readMessage(doc, seg, i)
    if (m) {
      messages.push(m)
      continue
    }
    const a = readAction(doc, seg, i)
    if (a) {
      actions.push(a)
      continue
    }
    const t = readTimer(doc, seg, i)
    if (t) timers.push(t)
  }
  return { messages, actions, timers }
}
