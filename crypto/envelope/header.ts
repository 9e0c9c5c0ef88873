import { readU53, writeU53 } from '../bytes.js'
import { CryptoMisuse } from '../errors.js'
import { parseSignPublicKey, type EnvelopeHash, type SignPublicKey } from '../keys.js'

/**
 * [E1] The public header of an envelope, a fixed 110-byte big-endian layout so that it has
 * exactly one encoding (no canonicalisation needed before hashing or signing). It names no
 * device: `chain` is the author's pseudonymous chain key for this conversation and epoch
 * ([E13]), unlinkable to the device and across epochs and conversations without the device's
 * secret; the device and its certificate travel inside the ciphertext (sealed sender).
 *
 *   0  u8   format byte 0xF2 (format 2; never 1 or 2, the kind bytes that began format-1 headers)
 *   1  u8   kind: 1 change batch, 2 snapshot ([E12])
 *   2  16   conversation id
 *  18  16   document id
 *  34  u32  epoch
 *  38  32   chain: Ed25519 public key of the author's chain key for (conversation, epoch)
 *  70  u64  seq (≥ 1, gap-free per chain and document, < 2^53)
 *  78  32   prev (envelope hash of seq - 1; zeros when seq = 1)
 */
export interface EnvelopeHeader {
  /** 1: a batch of changes (seq = its place in the chain, prev = hash of seq - 1).
   *  2: a snapshot of the author's own changes in seq 1..seq (prev = hash of envelope seq), [E12]. */
  readonly kind: EnvelopeKind
  readonly conv: Uint8Array
  readonly doc: Uint8Array
  readonly epoch: number
  readonly chain: SignPublicKey
  readonly seq: number
  readonly prev: EnvelopeHash
}

export type EnvelopeKind = 1 | 2
/**
 * The envelope format this code writes and reads, as its first byte: format 2 is 0xF2, a value
 * no format-1 header began with (their first byte was the kind, 1 or 2), so an old envelope can
 * never parse as a new one. Format 1 (device key in the header) is refused.
 */
export const ENVELOPE_FORMAT = 0xf2
export const BATCH_KIND = 1
export const SNAPSHOT_KIND = 2
export const HEADER_BYTES = 110
export const ID_BYTES = 16
export const NONCE_BYTES = 24
export const SIGNATURE_BYTES = 64
/** [E13] The author's certificate inside the plaintext: device key(32) ‖ signature(64). */
export const CERT_BYTES = 96
export const ZERO_HASH = new Uint8Array(32) as EnvelopeHash

export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  if (h.conv.length !== ID_BYTES || h.doc.length !== ID_BYTES) throw new CryptoMisuse('ids must be 16 bytes')
  if (h.chain.length !== 32 || h.prev.length !== 32) throw new CryptoMisuse('chain and prev must be 32 bytes')
  if (!Number.isInteger(h.epoch) || h.epoch < 0 || h.epoch > 0xffffffff) throw new CryptoMisuse('epoch out of range')
  if (!Number.isSafeInteger(h.seq) || h.seq < 1) throw new CryptoMisuse('seq out of range')
  if (h.kind !== BATCH_KIND && h.kind !== SNAPSHOT_KIND) throw new CryptoMisuse('unknown envelope kind')
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  out[0] = ENVELOPE_FORMAT
  out[1] = h.kind
  out.set(h.conv, 2)
  out.set(h.doc, 18)
  view.setUint32(34, h.epoch, false)
  out.set(h.chain, 38)
  writeU53(view, 70, h.seq)
  out.set(h.prev, 78)
  return out
}

/** Untrusted bytes → header, or undefined. Refuses other formats and kinds, bad chain keys and seq 0. */
export function decodeHeader(bytes: Uint8Array): EnvelopeHeader | undefined {
  const kind = bytes[1]
  if (bytes.length !== HEADER_BYTES || bytes[0] !== ENVELOPE_FORMAT || (kind !== BATCH_KIND && kind !== SNAPSHOT_KIND)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const chain = parseSignPublicKey(bytes.slice(38, 70))
  const seq = readU53(view, 70)
  if (!chain || seq === undefined || seq < 1) return undefined
  return {
    kind,
    conv: bytes.slice(2, 18),
    doc: bytes.slice(18, 34),
    epoch: view.getUint32(34, false),
    chain,
    seq,
    prev: bytes.slice(78, 110) as EnvelopeHash,
  }
}
