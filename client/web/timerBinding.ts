import { createSignal, onCleanup, type Accessor } from 'solid-js'
import type { Messenger } from '../core/messenger.js'
import type { TimerState } from '../core/documents/timerWrites.js'
import type { ConvId, DeviceId } from '../../protocol/index.js'

/** [W28] A timer change as the log shows it: "Bea set disappearing messages to 1 day"; [W34] or a call. */
export interface SystemLine {
  readonly id: string
  readonly ts: number
  readonly author: DeviceId
  readonly text: string
  /** What the line is about (default: the timer). */
  readonly icon?: 'timer' | 'call' | 'missed-call'
}

export interface TimerBinding {
  /** [M65] The conversation's timer, the organisation's maximum, what a message sent now gets. */
  readonly state: Accessor<TimerState>
  /** [W28] The timer changes of the loaded window, oldest first. */
  readonly lines: Accessor<readonly SystemLine[]>
  /** [W27] One engine call (`setTimer`); rejects with its error (M560 for a value it does not offer). */
  set(seconds: number): Promise<void>
}

const same = (a: readonly SystemLine[], b: readonly SystemLine[]) => a.length === b.length && a.every((l, i) => l.id === b[i]!.id && l.text === b[i]!.text)

/** [W27][W28] A conversation's disappearing-messages timer, read again whenever its messages change. */
export function bindTimer(messenger: Messenger, conv: ConvId): TimerBinding {
  const read = () => messenger.timer(conv)
  const [state, setState] = createSignal<TimerState>(read(), { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) })
  const [lines, setLines] = createSignal<readonly SystemLine[]>(messenger.timerLines(conv), { equals: same })
  const refresh = () => {
    setState(read())
    setLines(messenger.timerLines(conv))
  }
  onCleanup(messenger.events.on('messages', (e) => e.conv === conv && refresh()))
  // The organisation's maximum is its policy: membership and policy changes arrive as `conversations`.
  onCleanup(messenger.events.on('conversations', refresh))
  return { state, lines, set: (seconds) => messenger.setTimer(conv, seconds) }
}
