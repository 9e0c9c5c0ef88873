import { concat } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { randomBytes } from './random.js'

/**
 * [X2] Call media frames encrypted end to end, as SFrame (RFC 9605) with its cipher suite
 * AES_128_GCM_SHA256_128 (4), on WebCrypto: a relay (TURN, a future SFU) forwards frames it cannot
 * read or alter. Each sending device has its own base key per key id (KID), sent to the others
 * sealed and signed as a call signal (client/core [V5]); from it
 *
 *   secret = HKDF-Extract(salt = "", base_key)                            (SHA-256)
 *   key    = HKDF-Expand(secret, "SFrame 1.0 Secret key "  ‖ u64(KID) ‖ u16(4), 16)
 *   salt   = HKDF-Expand(secret, "SFrame 1.0 Secret salt " ‖ u64(KID) ‖ u16(4), 12)
 *
 * A frame is `metadata ‖ header ‖ AES-GCM(key, salt XOR CTR, header ‖ metadata, payload)`: the
 * metadata (the first bytes of a codec frame, which a packetiser reads) is authenticated, not
 * encrypted; the header is SFrame's (KID and CTR, variable length).
 *
 * Nonces never repeat under a key: a base key belongs to one sender, and a sender's transforms
 * (one per link and kind) each take their own *slot*: CTR = slot × 2^48 + frame number, with at
 * most {@link FRAME_SLOTS} slots per KID and 2^48 frames per slot; past either, the sealer refuses
 * (CryptoMisuse) and the caller moves to a new KID.
 */
export const FRAME_CIPHER_SUITE = 4
export const FRAME_BASE_KEY_BYTES = 16
export const FRAME_SLOTS = 32
const FRAMES_PER_SLOT = 2 ** 48
const TAG_BYTES = 16
const enc = new TextEncoder()

export interface FrameKey {
  readonly kid: number
  readonly key: CryptoKey
  readonly salt: Uint8Array
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new CryptoMisuse('WebCrypto is not available')
  return s
}

const bs = (b: Uint8Array): Uint8Array<ArrayBuffer> => (b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b))

/** A fresh base key for one sender's KID. */
export function generateFrameBaseKey(): Uint8Array {
  return randomBytes(FRAME_BASE_KEY_BYTES)
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

function label(kind: 'key' | 'salt', kid: number): Uint8Array {
  return concat(enc.encode(`SFrame 1.0 Secret ${kind} `), u64(kid), new Uint8Array([0, FRAME_CIPHER_SUITE]))
}

const checkKid = (kid: number) => {
  if (!Number.isSafeInteger(kid) || kid < 0) throw new CryptoMisuse('a KID is a non-negative safe integer')
}

/** [X2] The AES-GCM key and salt of `baseKey` under `kid` (RFC 9605 §4.4.2). */
export async function deriveFrameKey(baseKey: Uint8Array, kid: number): Promise<FrameKey> {
  if (!(baseKey instanceof Uint8Array) || baseKey.length !== FRAME_BASE_KEY_BYTES) throw new CryptoMisuse(`a frame base key is ${FRAME_BASE_KEY_BYTES} bytes`)
  checkKid(kid)
  const ikm = await subtle().importKey('raw', bs(baseKey), 'HKDF', false, ['deriveBits'])
  const expand = async (kind: 'key' | 'salt', bytes: number) =>
    new Uint8Array(await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: bs(label(kind, kid)) }, ikm, bytes * 8))
  const [raw, salt] = await Promise.all([expand('key', 16), expand('salt', 12)])
  return { kid, salt, key: await subtle().importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']) }
}

/** Big-endian bytes of `n` (a safe integer), as few as hold it (at least one); by division, no BigInt: it runs for every frame. */
function minimal(n: number): Uint8Array {
  let length = 1
  for (let v = Math.floor(n / 256); v > 0; v = Math.floor(v / 256)) length++
  const out = new Uint8Array(length)
  for (let i = length - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256
  return out
}

/** [X2] SFrame's header for `kid` and `ctr` (RFC 9605 §4.3). Exported for its vectors. */
export function frameHeader(kid: number, ctr: number): Uint8Array {
  checkKid(kid)
  if (!Number.isSafeInteger(ctr) || ctr < 0) throw new CryptoMisuse('a CTR is a non-negative safe integer')
  const k = kid < 8 ? new Uint8Array(0) : minimal(kid)
  const c = ctr < 8 ? new Uint8Array(0) : minimal(ctr)
  const config = (kid < 8 ? kid << 4 : 0x80 | ((k.length - 1) << 4)) | (ctr < 8 ? ctr : 0x08 | (c.length - 1))
  return concat(new Uint8Array([config]), k, c)
}

/** Reads a header at the start of `bytes`: its KID, CTR and length; undefined when cut short or past 2^53. */
export function readFrameHeader(bytes: Uint8Array): { kid: number; ctr: number; length: number } | undefined {
  if (!bytes.length) return undefined
  const config = bytes[0]!
  let at = 1
  const field = (extended: boolean, low: number): number | undefined => {
    if (!extended) return low
    const n = low + 1
    if (at + n > bytes.length) return undefined
    // By multiplication, no BigInt (every frame received): exact below 2^53, and a value at or
    // past it never rounds below Number.MAX_SAFE_INTEGER + 1, so it is refused.
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + bytes[at + i]!
    at += n
    return v <= Number.MAX_SAFE_INTEGER ? v : undefined
  }
  const kid = field((config & 0x80) !== 0, (config >> 4) & 0x07)
  if (kid === undefined) return undefined
  const ctr = field((config & 0x08) !== 0, config & 0x07)
  if (ctr === undefined) return undefined
  return { kid, ctr, length: at }
}

/** The salt XOR the CTR as a big-endian u64 in its last 8 bytes (a safe integer: its high 11 bits are 0). */
function nonceOf(salt: Uint8Array, ctr: number): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(12)
  n.set(salt)
  for (let i = 11, v = ctr; i >= 4 && v > 0; i--, v = Math.floor(v / 256)) n[i]! ^= v % 256
  return n
}

/** [X2] One frame sealed at `ctr` (the sealer's counter; exported for the vectors). */
export async function sealFrameAt(key: FrameKey, ctr: number, metadata: Uint8Array, payload: Uint8Array): Promise<Uint8Array> {
  const header = frameHeader(key.kid, ctr)
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonceOf(key.salt, ctr), additionalData: bs(concat(header, metadata)), tagLength: 128 }, key.key, bs(payload)))
  return concat(metadata, header, ct)
}

export interface FrameSealer {
  readonly kid: number
  /** `frame`'s first `metadataBytes` stay readable (authenticated); the rest is encrypted. */
  seal(frame: Uint8Array, metadataBytes: number): Promise<Uint8Array>
}

/** [X2] Seals a transform's frames under `key` in its own `slot` (0 ≤ slot < FRAME_SLOTS: one per transform of the KID). */
export function createFrameSealer(key: FrameKey, slot: number): FrameSealer {
  if (!Number.isInteger(slot) || slot < 0 || slot >= FRAME_SLOTS) throw new CryptoMisuse(`a frame slot is 0…${FRAME_SLOTS - 1}`)
  let next = 0
  return {
    kid: key.kid,
    seal(frame, metadataBytes) {
      if (next >= FRAMES_PER_SLOT) throw new CryptoMisuse('this slot has sealed all its frames: use a new KID')
      if (!Number.isInteger(metadataBytes) || metadataBytes < 0) throw new CryptoMisuse('metadataBytes is a non-negative integer')
      const m = Math.min(metadataBytes, frame.length)
      return sealFrameAt(key, slot * FRAMES_PER_SLOT + next++, frame.subarray(0, m), frame.subarray(m))
    },
  }
}

/**
 * [X2] Opens a frame sealed with `metadataBytes` of metadata: the header's KID picks the key
 * (`keyOf`: undefined → C103); a frame cut short is C100; one that does not authenticate (a
 * changed byte anywhere, another sender's key, a KID or CTR rewritten) is C104. Nothing is
 * returned that did not authenticate.
 */
export async function openFrame(keyOf: (kid: number) => FrameKey | undefined, frame: Uint8Array, metadataBytes: number): Promise<Result<Uint8Array>> {
  const m = Math.min(Math.max(0, metadataBytes), frame.length)
  const metadata = frame.subarray(0, m)
  const rest = frame.subarray(m)
  const h = readFrameHeader(rest)
  if (!h || rest.length < h.length + TAG_BYTES) return fail(CryptoErrorCode.MALFORMED, 'frame')
  const key = keyOf(h.kid)
  if (!key || key.kid !== h.kid) return fail(CryptoErrorCode.NO_KEY, `kid ${h.kid}`)
  try {
    const header = rest.subarray(0, h.length)
    const plain = await subtle().decrypt({ name: 'AES-GCM', iv: nonceOf(key.salt, h.ctr), additionalData: bs(concat(header, metadata)), tagLength: 128 }, key.key, bs(rest.subarray(h.length)))
    return ok(concat(metadata, new Uint8Array(plain)))
  } catch {
    return fail(CryptoErrorCode.DECRYPT_FAILED, 'frame')
  }
}
