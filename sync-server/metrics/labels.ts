import { ErrorCode, type ClientMessage, type ServerMessage } from '../../protocol/index.js'

/**
 * [S19] Every value a metric label may take, fixed here. A label value never comes from a peer's
 * bytes: a frame's `type` is looked up in these sets (after the schema accepted it), and anything
 * else is `invalid` or not counted. No key, id, address or payload can become a label.
 */
const clientTypes = {
  hello: true, join: true, rekey: true, push: true, subscribe: true, unsubscribe: true, ping: true, mail: true, 'mail-done': true, signal: true,
  'push-register': true, 'push-unregister': true, wake: true, turn: true,
} as const satisfies Record<ClientMessage['type'], true>
const serverTypes = {
  challenge: true, welcome: true, joined: true, ack: true, envelopes: true, snapshots: true, 'caught-up': true, pong: true, mailbox: true, error: true, relay: true,
  'turn-credentials': true,
} as const satisfies Record<ServerMessage['type'], true>

/** A frame that arrived, by its decoded type; `invalid` when it did not decode or fit the schema. */
export type FrameInType = ClientMessage['type'] | 'invalid'
export type FrameOutType = ServerMessage['type']
export const FRAME_IN_TYPES: readonly FrameInType[] = [...(Object.keys(clientTypes) as ClientMessage['type'][]), 'invalid']
export const FRAME_OUT_TYPES: readonly FrameOutType[] = Object.keys(serverTypes) as FrameOutType[]

/** What the rate limiting did to a device's frames ([S6]). */
export type RateLimitAction = 'refused' | 'paused' | 'closed'
export const RATE_LIMIT_ACTIONS: readonly RateLimitAction[] = ['refused', 'paused', 'closed']

/** Store writes that are timed: a push's append, a mail post. */
export type StoreOp = 'append' | 'post_mail'
export const STORE_OPS: readonly StoreOp[] = ['append', 'post_mail']

/** Wire error codes by number, with their names from protocol/errors.ts. */
export const CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ErrorCode).map(([name, code]) => [code, name]))

export const CONNECTION_STATES = ['authenticated', 'unauthenticated'] as const
