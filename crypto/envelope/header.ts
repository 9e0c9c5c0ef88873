import { readU53, writeU53 } from '../bytes.js'
import { CryptoMisuse } from '../errors.js'
import { parseSignPublicKey, type EnvelopeHash, type SignPublicKey } from '../keys.js'

/**
 * [E1] The public header of an envelope, a fixed 109-byte big-endian layout so that it has
 * exactly one encoding (no canonicalisation needed before hashing or signing):
 *
 *   0  u8   kind: 1 change batch, 2 snapshot ([E12])
 *   1  16   conversation id
 *  17  16   document id
 *  33  u32  epoch
 *  37  32   device (Ed25519 public key of the signer)
 *  69  u64  seq (≥ 1, gap-free per device and document, < 2^53)
 *  77  32   prev (envelope hash of seq - 1; zeros when seq = 1)
 */
export interface EnvelopeHeader {
  /** 1: a batch of changes (seq = its place in the device chain, prev = hash of seq - 1).
   *  2: a snapshot of the signer's own changes in seq 1..seq (prev = hash of envelope seq), [E12]. */
  readonly v: EnvelopeKind
  readonly conv: Uint8Array
  readonly doc: Uint8Array
  readonly epoch: number
  readonly device: SignPublicKey
  readonly seq: number
  readonly prev: EnvelopeHash
}

export type EnvelopeKind = 1 | 2
export const ENVELOPE_VERSION = 1
export const SNAPSHOT_VERSION = 2
export const HEADER_BYTES = 109
export const ID_BYTES = 16
export const NONCE_BYTES = 24
export const SIGNATURE_BYTES = 64
export const ZERO_HASH = new Uint8Array(32) as EnvelopeHash

export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  if (h.conv.length !== ID_BYTES || h.doc.length !== ID_BYTES) throw new CryptoMisuse('ids must be 16 bytes')
  if (h.device.length !== 32 || h.prev.length !== 32) throw new CryptoMisuse('device and prev must be 32 bytes')
  if (!Number.isInteger(h.epoch) || h.epoch < 0 || h.epoch > 0xffffffff) throw new CryptoMisuse('epoch out of range')
  if (!Number.isSafeInteger(h.seq) || h.seq < 1) throw new CryptoMisuse('seq out of range')
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  if (h.v !== ENVELOPE_VERSION && h.v !== SNAPSHOT_VERSION) throw new CryptoMisuse('unknown envelope kind')
  out[0] = h.v
  out.set(h.conv, 1)
  out.set(h.doc, 17)
  view.setUint32(33, h.epoch, false)
  out.set(h.device, 37)
  writeU53(view, 69, h.seq)
  out.set(h.prev, 77)
  return out
}

/** Untrusted bytes → header, or undefined. Refuses unknown versions, bad keys and seq 0. */
export function decodeHeader(bytes: Uint8Array): EnvelopeHeader | undefined {
  const v = bytes[0]
  if (bytes.length !== HEADER_BYTES || (v !== ENVELOPE_VERSION && v !== SNAPSHOT_VERSION)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const device = parseSignPublicKey(bytes.slice(37, 69))
  const seq = readU53(view, 69)
  if (!device || seq === undefined || seq < 1) return undefined
  return {
    v,
    conv: bytes.slice(1, 17),
    doc: bytes.slice(17, 33),
    epoch: view.getUint32(33, false),
    device,
    seq,
    prev: bytes.slice(77, 109) as EnvelopeHash,
  }
}
