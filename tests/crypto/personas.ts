import {
  BATCH_KIND, createSigner, EnvelopeAuthors, generateDeviceKeys, generateEpochKey, randomBytes, ZERO_HASH,
  type ChainAuthor, type DeviceKeys, type EnvelopeHash, type EnvelopeHeader, type EpochKey, type Signer,
} from '../../crypto/index.js'

/**
 * Personas for crypto tests: alice (admin, writes), bob (member, reads), eve (attacker who may
 * hold an old epoch key). Signers and chain authors ([E13]) are created per test so each one runs
 * on the backend under test.
 */
export interface Persona {
  readonly name: string
  readonly keys: DeviceKeys
  /** The device signer (lockboxes, capabilities, the [E13] certificate). */
  readonly signer: Signer
  /** The device's envelope chain authors, one per (conversation, epoch) ([E13]). */
  readonly authors: EnvelopeAuthors
}

export function persona(name: string): Persona {
  const keys = generateDeviceKeys()
  return { name, keys, signer: createSigner(keys.signSecret), authors: new EnvelopeAuthors(keys.signSecret) }
}

export interface Room {
  readonly alice: Persona
  readonly bob: Persona
  readonly eve: Persona
  readonly conv: Uint8Array
  readonly doc: Uint8Array
  readonly epochKey: EpochKey
}

export function room(): Room {
  return {
    alice: persona('alice'),
    bob: persona('bob'),
    eve: persona('eve'),
    conv: randomBytes(16),
    doc: randomBytes(16),
    epochKey: generateEpochKey(),
  }
}

/** The persona's chain author for the room's conversation in `epoch` ([E13]). */
export function authorIn(r: Room, p: Persona, epoch = 0): Promise<ChainAuthor> {
  return p.authors.forEpoch(r.conv, epoch)
}

/** A change-batch header in the room, naming `author`'s chain key (epoch 0, seq 1 unless overridden). */
export function headerFor(r: Room, author: ChainAuthor, over: Partial<EnvelopeHeader> = {}): EnvelopeHeader {
  return { kind: BATCH_KIND, conv: r.conv, doc: r.doc, epoch: 0, chain: author.chain, seq: 1, prev: ZERO_HASH as EnvelopeHash, ...over }
}

/** The context a reader in this room passes to openEnvelope. */
export function readerContext(r: Room, keys: Record<number, EpochKey> = { 0: r.epochKey }) {
  return { conv: r.conv, doc: r.doc, keyFor: (epoch: number) => keys[epoch] }
}

export const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16))
export const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A copy of `bytes` with one bit flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice()
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

export const BACKENDS = ['tweetnacl', 'auto'] as const
