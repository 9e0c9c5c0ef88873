import type { Emitter } from '../events.js'
import type { MessengerEvents } from '../messengerTypes.js'
import type { Parts } from '../parts.js'
import type { SignalChannel } from '../presence/channel.js'
import { Calls } from './calls.js'
import { ClientErrorCode } from '../errors.js'
import type { ConvId } from '../../../protocol/index.js'

/**
 * [V3] Calls over the Messenger's parts: the signal channel in, the Messenger's `calls` event
 * out; membership changes drop removed devices from a call ([V4]), and a conversation this
 * device lost access to ends its call here. `detach` stops it (the parts are made again after a wipe).
 */
export function makeCalls(parts: Parts, channel: SignalChannel, me: string, events: Emitter<MessengerEvents>, rung: (conv: ConvId, tag: string) => void = () => undefined): { calls: Calls; detach: () => void } {
  const calls = new Calls({ channel, me, memberDevices: (conv) => parts.team.memberDevices(conv) })
  const offs = [
    calls.events.on('call', ({ conv }) => events.emit('calls', { conv })),
    // [V7][M62] A call this device starts is rung into the conversation too: once the server has
    // it, the others' devices are woken by push and ring with the app closed.
    calls.events.on('started', (e) => {
      void parts.log.calls
        .ring(e.conv, { since: e.since, video: e.video })
        .then((tag) => tag && rung(e.conv, tag))
        .catch((err: unknown) => events.emit('problem', { code: ClientErrorCode.CALL_LOG, detail: String(err) }))
    }),
    calls.events.on('ended', (e) => {
      if (e.refused) events.emit('calls', { conv: e.conv, refused: e.refused })
      // [V7] The device that started a call writes it into the conversation's history.
      else if (e.startedHere) {
        const dur = e.peersSeen.length ? (e.endedAt - e.since) / 1000 : 0
        void parts.log.calls.record(e.conv, { since: e.since, video: e.video, dur, joined: e.peersSeen }).catch((err: unknown) => events.emit('problem', { code: ClientErrorCode.CALL_LOG, detail: String(err) }))
      }
    }),
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
