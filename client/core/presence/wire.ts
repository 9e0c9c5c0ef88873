import type { ConvId, DeviceId } from '../../../protocol/index.js'
import type { Registry } from '../conversations/registry.js'
import type { Emitter } from '../events.js'
import type { Identity } from '../identity.js'
import type { MessengerEvents } from '../messengerTypes.js'
import type { Parts } from '../parts.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { SignalChannel } from './channel.js'
import { Presence } from './presence.js'

export interface PresenceHost {
  readonly store: LocalStore
  readonly registry: Registry
  readonly identity: Identity
  readonly events: Emitter<MessengerEvents>
  readonly debounceMs?: number
}

/**
 * [M55]–[M59] Presence over the Messenger's parts: the engine's signals and joins in, the
 * Messenger's `receipts`, `typing` and `unread` events out. Returns it, with its signal channel
 * (calls use it too, [V3]) and a `detach` that
 * takes its listeners off the Messenger's events (the parts are made again after a wipe).
 */
export function makePresence(parts: Parts, host: PresenceHost): { presence: Presence; channel: SignalChannel; detach: () => void } {
  const { engine, team, log } = parts
  const me = host.identity.deviceId
  const userOf = (conv: ConvId, device: DeviceId) => team.userOfDevice(conv, device)
  const ownPerson = (conv: ConvId, device: DeviceId) => {
    if (device === me) return true
    const mine = userOf(conv, me)
    return mine !== undefined && userOf(conv, device) === mine
  }
  const channel = new SignalChannel({
    identity: host.identity,
    registry: host.registry,
    link: engine,
    memberOfEpoch: (conv, epoch, device) => team.memberOfEpoch(conv, epoch, device, true),
    problem: (code, detail) => host.events.emit('problem', { code, detail }),
  })
  const presence = new Presence({
    store: host.store,
    channel,
    conversations: () => host.registry.list().map((r) => r.conv),
    list: (conv) => log.list(conv),
    shownAfter: (conv, after, skip) => log.shownAfter(conv, after, skip),
    shownAmong: (conv, messages, after, skip) => log.shownAmong(conv, messages, after, skip),
    loaded: (conv) => parts.segs.isShowing(conv),
    ownPerson,
    person: (conv, device) => {
      const user = userOf(conv, device)
      return user === undefined ? undefined : { user, name: team.deviceNames(conv).get(device) ?? 'Unknown' }
    },
    policyAllows: (conv) => team.policy(team.orgOf(conv) ?? conv).readReceipts !== false,
    emit: {
      receipts: (conv) => host.events.emit('receipts', { conv }),
      typing: (conv, names) => host.events.emit('typing', { conv, names }),
      unread: (conv, count, total) => host.events.emit('unread', { conv, count, total }),
    },
    ...(host.debounceMs !== undefined ? { debounceMs: host.debounceMs } : {}),
  })
  const offs = [
    engine.events.on('signal', ({ conv, body }) => void channel.receive(conv, body)),
    engine.events.on('joined', ({ conv }) => presence.receipts.joined(conv)),
    host.events.on('added', ({ conv, messages }) => presence.added(conv, messages)),
    host.events.on('messages', ({ conv, onlyAdded }) => presence.recount(conv, !!onlyAdded)),
  ]
  return { presence, channel, detach: () => offs.forEach((off) => off()) }
}

