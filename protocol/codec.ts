import { Decoder, Encoder } from 'cbor-x'
import { cborShapeProblem } from './cborShape.js'
import { clientMessageSchema, serverMessageSchema } from './schema.js'
import type { ClientMessage, ServerMessage } from './messages.js'

/**
 * [P4] Frames are CBOR (cbor-x) with plain maps: no record extensions, no shared structures,
 * so any CBOR implementation can speak the protocol.
 */
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false })
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })

export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string }

export function encodeFrame(message: ClientMessage | ServerMessage): Uint8Array {
  return encoder.encode(message)
}

/** Inbound frames are untrusted peer input: decode, then validate, never cast. */
export function decodeClientFrame(frame: Uint8Array): Decoded<ClientMessage> {
  return decodeWith(frame, (v) => clientMessageSchema.safeParse(v))
}

export function decodeServerFrame(frame: Uint8Array): Decoded<ServerMessage> {
  return decodeWith(frame, (v) => serverMessageSchema.safeParse(v))
}

function decodeWith<T>(frame: Uint8Array, parse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: { message: string }[] } }): Decoded<T> {
  // [P4] Shape first, in one bounded pass: no tag (nor anything else a decoder could turn into
  // work beyond the frame's size) reaches cbor-x.
  const problem = cborShapeProblem(frame)
  if (problem) return { ok: false, reason: problem }
  let value: unknown
  try {
    value = decoder.decode(frame)
  } catch (err) {
    return { ok: false, reason: `not CBOR: ${(err as Error).message.slice(0, 100)}` }
  }
  const parsed = parse(normalise(value))
  if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? 'schema' }
  return { ok: true, message: parsed.data }
}

/** cbor-x yields Node Buffers in Node; make every byte string a plain Uint8Array view. */
function normalise(value: unknown, depth = 0): unknown {
  if (depth > 8) return value
  if (value instanceof Uint8Array) return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  if (Array.isArray(value)) return value.map((v) => normalise(v, depth + 1))
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = normalise(v, depth + 1)
    return out
  }
  return value
}
