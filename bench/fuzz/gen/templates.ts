import { PROTOCOL_VERSION, type ClientMessage } from '../../../protocol/index.js'
import type { Rng } from '../rng.js'

/**
 * Structurally valid frames of every client message type ([P2], [P6]): right field names, right
 * byte lengths, numbers in range, arrays within the caps. Their contents are random, so the
 * server's checks past the schema (proofs, joins, envelopes) refuse most of them: that is the
 * point. The mutators in mutate.ts start from these.
 */
export const CLIENT_TYPES = ['hello', 'join', 'rekey', 'push', 'subscribe', 'unsubscribe', 'ping', 'mail', 'mail-done'] as const satisfies readonly ClientMessage['type'][]
export type ClientType = (typeof CLIENT_TYPES)[number]

/** Caps of [P6] and the schema, the values mutations probe at and just above. */
export const CAPS = {
  envelopesPerPush: 256,
  envelopeBytes: 1024 * 1024,
  mailRecipients: 10_000,
  mailItems: 64,
  mailItemBytes: 1024 * 1024,
  mailDoneIds: 1000,
  mailDonePools: 1000,
  depth: 32,
} as const

const uint = (rng: Rng) => rng.pick([0, 1, rng.int(0, 1000), rng.u32(), Number.MAX_SAFE_INTEGER])
const u32 = (rng: Rng) => rng.pick([0, 1, rng.int(0, 100), 0xffffffff])

export function template(rng: Rng, type: ClientType): ClientMessage {
  const b = (n: number) => rng.bytes(n)
  switch (type) {
    case 'hello':
      return { type, v: PROTOCOL_VERSION, device: b(32), proof: b(64), mailbox: b(32), mailboxProof: b(64) }
    case 'join':
      return { type, conv: b(16), epoch: u32(rng), cap: b(32), proof: b(64), ...(rng.chance(0.5) ? { admin: b(32), origin: b(16) } : {}) }
    case 'rekey':
      return { type, conv: b(16), from: u32(rng), epoch: u32(rng), cap: b(32), admin: b(32), proof: b(64) }
    case 'push':
      return { type, id: uint(rng), envelopes: Array.from({ length: rng.int(1, 8) }, () => b(rng.size(4096))) }
    case 'subscribe':
      return { type, conv: b(16), doc: b(16), cursor: uint(rng) }
    case 'unsubscribe':
      return { type, conv: b(16), doc: b(16) }
    case 'ping':
      return { type, t: rng.pick([0, -1.5, rng.u32(), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE]) }
    case 'mail': {
      const to = Array.from({ length: rng.int(1, 8) }, () => b(32))
      return { type, id: uint(rng), to, ...(rng.chance(0.5) ? { decoys: Array.from({ length: rng.int(0, 8) }, () => b(32)) } : {}), items: Array.from({ length: rng.int(1, 4) }, () => b(rng.size(2048))) }
    }
    case 'mail-done': {
      const ids = Array.from({ length: rng.int(1, 16) }, () => uint(rng))
      return { type, ids, ...(rng.chance(0.3) ? { pools: ids.slice(0, rng.int(0, ids.length)).map((id) => ({ id, key: b(32) })) } : {}) }
    }
  }
}
