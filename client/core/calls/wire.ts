import type { Emitter } from '../events.js'
import type { MessengerEvents } from '../messengerTypes.js'
import type { Parts } from '../parts.js'
import type { SignalChannel } from '../presence/channel.js'
import { Calls } from './calls.js'

/**
 * [V3] Calls over the Messenger's parts: the signal channel in, the Messenger's `calls` event
 * out; membership changes drop removed devices from a call ([V4]), and a conversation this
 * device lost access to ends its call here. `detach` stops it (the parts are made again after a wipe).
 */
export function makeCalls(parts: Parts, channel: SignalChannel, me: string, events: Emitter<MessengerEvents>): { calls: Calls; detach: () => void } {
  const calls = new Calls({ channel, me, memberDevices: (conv) => parts.team.memberDevices(conv) })
  const offs = [
    calls.events.on('call', ({ conv }) => events.emit('calls', { conv })),
    calls.events.on('ended', ({ conv, refused }) => refused && events.emit('calls', { conv, refused })),
    events.on('conversations', () => {
      for (const v of calls.list()) calls.membersChanged(v.conv)
    }),
    events.on('access', ({ conv, lost }) => lost && calls.lost(conv)),
  ]
  return {
    calls,
    detach: () => {
      offs.forEach((off) => off())
      calls.stop()
    },
  }
}
