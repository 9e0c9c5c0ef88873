import { createSignal, onCleanup, type Accessor } from 'solid-js'
import type { ConvId } from '../../../protocol/index.js'
import type { Messenger } from '../../core/messenger.js'
import type { SystemLine } from '../timerBinding.js'

const same = (a: readonly SystemLine[], b: readonly SystemLine[]) => a.length === b.length && a.every((l, i) => l.id === b[i]!.id && l.text === b[i]!.text)

/** [W34] The conversation's calls as lines of its log ("Missed video call from Ann"), read again whenever its entries change. */
export function bindCallLines(messenger: Messenger, conv: ConvId): Accessor<readonly SystemLine[]> {
  const read = (): SystemLine[] => messenger.callHistory(conv).map((c) => ({ id: c.id, ts: c.ts, author: c.author, text: c.text, icon: c.missed ? 'missed-call' : 'call' }))
  const [lines, setLines] = createSignal<readonly SystemLine[]>(read(), { equals: same })
  onCleanup(messenger.events.on('messages', (e) => e.conv === conv && setLines(read())))
  onCleanup(messenger.events.on('conversations', () => setLines(read())))
  return lines
}
