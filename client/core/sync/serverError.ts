import { ErrorCode, parseConvId, type ConvId, type ErrorMessage } from '../../../protocol/index.js'
import type { EngineEvents } from './engineEvents.js'
import { ClientErrorCode } from '../errors.js'
import type { Emitter } from '../events.js'
import type { JoinRetry } from './joinRetry.js'
import type { ProxyRekeys } from './proxyRekey.js'
import type { Registry } from '../conversations/registry.js'

export interface ServerErrorDeps {
  readonly registry: Registry
  readonly events: Emitter<EngineEvents>
  readonly proxies: ProxyRekeys
  readonly unregistered: JoinRetry
  /** Conversations whose join is in flight. */
  readonly joining: Set<ConvId>
  readonly versionMismatch: () => void
  readonly rejoin: (conv: ConvId) => Promise<void>
  readonly updateState: () => void
  /** [M70] The server has no TURN (1410): the oldest credential request is refused. */
  readonly turnRefused: () => void
}

/**
 * What a server's `error` frame means to the engine: a join to send again now or later, a rekey
 * that crossed another, access refused, or a refusal the person is told about.
 */
export async function onServerError(msg: ErrorMessage, d: ServerErrorDeps): Promise<void> {
  if (msg.code === ErrorCode.VERSION_MISMATCH) return d.versionMismatch()
  if (msg.code === ErrorCode.RATE_LIMITED) return
  if (msg.code === ErrorCode.TURN_OFF) return d.turnRefused()
  // Inbound frames are untrusted peer input: `ref` names a conversation only if it parses as one.
  const ref = msg.ref === undefined ? undefined : parseConvId(msg.ref)
  if (ref && !d.registry.get(ref) && d.proxies.answer(ref, { code: msg.code, ...(msg.epoch !== undefined ? { epoch: msg.epoch } : {}) })) return
  if (msg.code === ErrorCode.CAPABILITY_REVOKED && ref) return void (await d.rejoin(ref)) // [S10]
  // A subscribe that crossed a revocation on the wire: the rejoin under way subscribes again.
  if (msg.code === ErrorCode.NOT_JOINED && ref && d.registry.get(ref)) {
    if (!d.joining.has(ref)) await d.rejoin(ref)
    return
  }
  if (msg.code === ErrorCode.REKEY_CONFLICT && ref && msg.epoch !== undefined) {
    d.joining.delete(ref)
    return d.events.emit('rekeyConflict', { conv: ref, epoch: msg.epoch })
  }
  // [S3] Not on the server until its creator's device registers it: ask again later, quietly.
  if (msg.code === ErrorCode.NOT_REGISTERED && ref && d.registry.get(ref)) {
    d.joining.delete(ref)
    d.updateState()
    return d.unregistered.retryLater(ref)
  }
  // [T10] A refused capability is an access signal whether or not a join is still counted as in
  // flight (two joins may cross): the messenger decides between removed and waiting ([M23]).
  if (msg.code === ErrorCode.CAPABILITY_REJECTED && ref && d.registry.get(ref)) {
    d.joining.delete(ref)
    d.updateState()
    return d.events.emit('access', { conv: ref, lost: true })
  }
  if (ref && d.joining.delete(ref)) d.updateState()
  return d.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: `${msg.code}: ${msg.message}` })
}
