import * as z from 'zod'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { cursorSchema, type Cursor } from './cursor.js'
import { callPartSchema, type CallPart } from '../calls/parts.js'

/**
 * [M57] What a signal carries once opened (crypto [E14] seals it): one tagged union, parsed
 * with zod like any input from a peer. Call signalling rides on it in parts ([V2]).
 *
 * - `receipt`: the sender device's cursors ([M55]); `ask`: "send me yours" (sent after a join).
 * - `typing`: the person is typing (`on`), or stopped (sent with the message).
 * - `call`: a part of a call message ([V2]; client/core/calls).
 */
export type SignalPayload =
  | { readonly t: 'receipt'; readonly d?: Cursor; readonly r?: Cursor; readonly ask?: true }
  | { readonly t: 'typing'; readonly on: boolean }
  | CallPart

const payloadSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('receipt'), d: cursorSchema.optional(), r: cursorSchema.optional(), ask: z.literal(true).optional() }).strict(),
  z.object({ t: z.literal('typing'), on: z.boolean() }).strict(),
  callPartSchema,
])

export function encodePayload(p: SignalPayload): Uint8Array {
  return encodeRecord(p)
}

export function decodePayload(bytes: Uint8Array): SignalPayload | undefined {
  return decodeRecord(bytes, payloadSchema)
}
