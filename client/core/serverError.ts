import { ErrorCode, type ConvId, type ErrorMessage } from '../../protocol/index.js'
import type { EngineEvents } from './engine.js'
import { ClientErrorCode } from './errors.js'
import type { Emitter } from './events.js'
import type { JoinRetry } from './joinRetry.js'
import type { ProxyRekeys } from './proxyRekey.js'
import type { Registry } from './registry.js'

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
}

/**
 * What a server's `error` frame means to the engine: a join to send again now or later, a rekey
 * that crossed another, access refused, or a refusal the person is told about.
 */
export async function onServerError(msg: ErrorMessage, d: ServerErrorDeps): Promise<void> {
  if (msg.code === ErrorCode.VERSION_MISMATCH) return d.versionMismatch()
  if (msg.code === ErrorCode.RATE_LIMITED) return
  if (msg.ref && !d.registry.get(msg.ref as ConvId) && d.proxies.answer(msg.ref as ConvId, { code: msg.code, ...(msg.epoch !== undefined ? { epoch: msg.epoch } : {}) })) return
  if (msg.code === ErrorCode.CAPABILITY_REVOKED && msg.ref) return void (await d.rejoin(msg.ref as ConvId)) // [S10]
  // A subscribe that crossed a revocation on the wire: the rejoin under way subscribes again.
  if (msg.code === ErrorCode.NOT_JOINED && msg.ref && d.registry.get(msg.ref as ConvId)) {
    if (!d.joining.has(msg.ref as ConvId)) await d.rejoin(msg.ref as ConvId)
    return
  }
  if (msg.code === ErrorCode.REKEY_CONFLICT && msg.ref && msg.epoch !== undefined) {
    d.joining.delete(msg.ref as ConvId)
    return d.events.emit('rekeyConflict', { conv: msg.ref as ConvId, epoch: msg.epoch })
  }
  // [S3] Not on the server until its creator's device registers it: ask again later, quietly.
  if (msg.code === ErrorCode.NOT_REGISTERED && msg.ref && d.registry.get(msg.ref as ConvId)) {
    d.joining.delete(msg.ref as ConvId)
    d.updateState()
    return d.unregistered.retryLater(msg.ref as ConvId)
  }
  // [T10] A refused capability is an access signal whether or not a join is still counted as in
  // flight (two joins may cross): the messenger decides between removed and waiting ([M23]).
  if (msg.code === ErrorCode.CAPABILITY_REJECTED && msg.ref && d.registry.get(msg.ref as ConvId)) {
    d.joining.delete(msg.ref as ConvId)
    d.updateState()
    return d.events.emit('access', { conv: msg.ref as ConvId, lost: true })
  }
  if (msg.ref && d.joining.delete(msg.ref as ConvId)) d.updateState()
  return d.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: `${msg.code}: ${msg.message}` })
}
