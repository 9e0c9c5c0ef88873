import { Encoder } from 'cbor-x'
import type { ClientMessage } from '../../../protocol/index.js'
import type { Rng } from '../rng.js'
import { CAPS, CLIENT_TYPES, template, type ClientType } from './templates.js'

/**
 * Structurally valid frames with mutated fields: wrong byte lengths, huge, negative and NaN-like
 * numbers, wrong types, missing and extra keys, deep nesting, arrays at and just above the caps
 * of [P6], duplicates where the schema wants distinct values. Encoded the way a client encodes
 * ([P4]: cbor-x, plain maps, untagged byte strings) so the frames get past the CBOR layer and
 * test the schema and the handlers.
 */
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false })
/** Typed arrays other than Uint8Array, Sets, Dates, big bigints: cbor-x tags them ([P4] refuses tags). */
const taggingEncoder = new Encoder({ useRecords: false, mapsAsObjects: true })

type Obj = Record<string, unknown>

const EVIL_NUMBERS: readonly (number | bigint)[] = [
  -1, -0, 0.5, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 64, 2 ** 32, 2 ** 32 - 1, -(2 ** 53), 1e308, Number.MIN_VALUE, -Number.MAX_VALUE,
  18_446_744_073_709_551_615n, -9_223_372_036_854_775_808n, 2n ** 63n, -(2n ** 64n),
]

/** An array nested `depth` deep around `inner`. */
export function nested(depth: number, inner: unknown = 0): unknown {
  let v: unknown = inner
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

function evilValue(rng: Rng): unknown {
  switch (rng.int(0, 15)) {
    case 0:
    case 1:
      return rng.pick(EVIL_NUMBERS)
    case 2:
      return rng.bytes(rng.pick([0, 1, 15, 17, 31, 33, 63, 65, rng.size(70_000)]))
    case 3:
      return rng.pick(['', 'x', 'ping', '\u0000', '\ud800', 'é'.repeat(rng.size(5000))])
    case 4:
      return rng.pick([true, false, null, undefined])
    case 5:
      return rng.pick([[], {}, [[]], { a: 1 }])
    case 6:
      return nested(rng.pick([CAPS.depth - 2, CAPS.depth - 1, CAPS.depth, CAPS.depth + 1, 64, 500]))
    case 7:
      return Array.from({ length: rng.size(300) }, () => rng.int(-300, 300))
    case 8:
      return new Map<unknown, unknown>([[1, 2], [rng.bytes(4), 'k'], [null, []]])
    case 9:
      return rng.pick([new Uint16Array(8), new Float64Array(2), new Set([1, 2]), new Date(0)])
    case 10:
      return rng.float() * 2 ** rng.int(-1074, 1023) * (rng.chance(0.5) ? -1 : 1)
    case 11:
      return Array.from({ length: rng.int(1, 4) }, () => rng.bytes(rng.size(64)))
    case 12:
      return { type: 'ping', t: 1 }
    case 13:
      return rng.u32() * 2 ** rng.int(0, 40)
    default:
      return rng.int(-(2 ** 31), 2 ** 31)
  }
}

const bytesFieldLength: Record<string, number> = { device: 32, proof: 64, mailbox: 32, mailboxProof: 64, conv: 16, doc: 16, cap: 32, admin: 32, origin: 16 }

/** One mutation of `msg` in place; returns its name for the report. */
function mutateOnce(rng: Rng, msg: Obj, type: ClientType): string {
  const keys = Object.keys(msg)
  // Earlier mutations may have dropped every key: start again from a type.
  if (!keys.length) {
    msg.type = rng.pick(CLIENT_TYPES)
    return 'retype'
  }
  const kind = rng.weighted({ field: 4, length: 3, drop: 1, extra: 2, type: 1, cap: 3, dup: 1, deep: 1, element: 2 })
  switch (kind) {
    case 'field': {
      msg[rng.pick(keys)] = evilValue(rng)
      return kind
    }
    case 'length': {
      const field = rng.pick(keys.filter((k) => k in bytesFieldLength).concat(['?']))
      const want = bytesFieldLength[field]
      if (want === undefined) return mutateOnce(rng, msg, type)
      msg[field] = rng.bytes(rng.pick([0, want - 1, want + 1, want * 2, rng.size(300)]))
      return kind
    }
    case 'drop':
      delete msg[rng.pick(keys)]
      return kind
    case 'extra': {
      const name = rng.pick(['extra', 'type2', 'constructor', 'toString', 'hasOwnProperty', 'then', 'x'.repeat(rng.size(2000)), ''])
      msg[name] = evilValue(rng)
      return kind
    }
    case 'type':
      msg.type = rng.pick(['', 'Ping', 'ping ', 'ack', 'welcome', 'error', 'challenge', 'mailbox', 'launch', 'hello\u0000', 7, null, rng.pick(CLIENT_TYPES)])
      return kind
    case 'cap':
      atTheCap(rng, msg, type)
      return kind
    case 'dup':
      duplicate(rng, msg, type)
      return kind
    case 'deep':
      msg[rng.pick(keys)] = nested(rng.pick([CAPS.depth - 1, CAPS.depth, CAPS.depth + 1, 200]), rng.bytes(16))
      return kind
    case 'element': {
      const arrays = keys.filter((k) => Array.isArray(msg[k]))
      if (!arrays.length) return mutateOnce(rng, msg, type)
      const arr = msg[rng.pick(arrays)] as unknown[]
      if (arr.length) arr[rng.int(0, arr.length - 1)] = evilValue(rng)
      return kind
    }
  }
}

/** Arrays at a cap or one above it (and an item at or just above its byte cap). */
function atTheCap(rng: Rng, msg: Obj, type: ClientType): void {
  const over = rng.chance(0.5) ? 1 : 0
  const b = (n: number) => rng.bytes(n)
  switch (type) {
    case 'push':
      if (rng.chance(0.3)) msg.envelopes = [b(CAPS.envelopeBytes + over)]
      else msg.envelopes = Array.from({ length: CAPS.envelopesPerPush + over }, () => b(rng.size(300)))
      return
    case 'mail':
      switch (rng.int(0, 3)) {
        case 0:
          msg.to = Array.from({ length: CAPS.mailRecipients + over }, () => b(32))
          delete msg.decoys
          return
        case 1:
          msg.items = Array.from({ length: CAPS.mailItems + over }, () => b(rng.size(200)))
          return
        case 2:
          msg.items = [b(CAPS.mailItemBytes + over)]
          return
        default:
          msg.to = [b(32)]
          msg.decoys = Array.from({ length: CAPS.mailRecipients - 1 + over }, () => b(32))
          return
      }
    case 'mail-done': {
      const ids = Array.from({ length: CAPS.mailDoneIds + over }, (_, i) => i)
      msg.ids = ids
      if (rng.chance(0.5)) msg.pools = ids.slice(0, CAPS.mailDonePools).map((id) => ({ id, key: b(32) }))
      return
    }
    default:
      msg[rng.pick(Object.keys(msg))] = Array.from({ length: rng.pick([256, 257, 10_000, 10_001]) }, () => 0)
  }
}

/** The schema wants distinct recipients and decoys, and pools only for items in `ids`. */
function duplicate(rng: Rng, msg: Obj, type: ClientType): void {
  // Earlier mutations may have replaced the arrays: duplicate whatever is there now.
  const list = (key: string) => (Array.isArray(msg[key]) && msg[key].length ? (msg[key] as unknown[]) : [rng.bytes(32)])
  if (type === 'mail') {
    const to = list('to')
    if (rng.chance(0.5)) msg.to = [...to, to[0]]
    else msg.decoys = [rng.bytes(32), ...(rng.chance(0.5) ? [to[0]] : []), to[0], to[0]]
  } else if (type === 'mail-done') {
    const id = list('ids')[0]
    msg.pools = [{ id: typeof id === 'number' ? id + 1 : 1, key: rng.bytes(32) }, { id, key: rng.bytes(32) }, { id, key: rng.bytes(32) }]
  } else if (type === 'push') {
    const envs = list('envelopes')
    msg.envelopes = [...envs, ...envs]
  } else {
    msg.type = [msg.type, msg.type]
  }
}

export interface MutatedFrame {
  readonly bytes: Uint8Array
  readonly mutations: string[]
}

/** A frame of `type` (random when not given) with 0–3 mutations (0: valid in shape, random in content). */
export function mutatedFrame(rng: Rng, type: ClientType = rng.pick(CLIENT_TYPES)): MutatedFrame {
  const msg = { ...template(rng, type) } as Obj
  const mutations = Array.from({ length: rng.pick([0, 1, 1, 1, 2, 3]) }, () => mutateOnce(rng, msg, type))
  return { bytes: encode(msg, rng), mutations }
}

/** A valid message as a client would send it, or with one mutation. */
export function encode(msg: Obj | ClientMessage, rng: Rng): Uint8Array {
  try {
    return (rng.chance(0.9) ? encoder : taggingEncoder).encode(msg)
  } catch {
    // cbor-x refuses a few JavaScript values (bigints beyond 64 bits): send the message without them.
    return encoder.encode({ type: (msg as Obj).type })
  }
}
