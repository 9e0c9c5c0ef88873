import nacl from 'tweetnacl'
import { concat, readU53, writeU32, writeU53 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { deriveKey, frame } from './hash.js'
import { parseSignPublicKey, type EpochKey, type SignPublicKey } from './keys.js'
import { randomBytes } from './random.js'
import { verifySignature, type Signer } from './sign.js'

/**
 * [E14] Ephemeral signals (receipts, typing, later call signalling): sealed end to end under the
 * conversation's epoch key, signed by the sending device inside the seal, padded to a bucket.
 *
 *   body  = u8(1) ‖ u32be(epoch) ‖ nonce(24) ‖ secretbox(plain, nonce, K)
 *   K     = HKDF(epoch key, salt = conv ‖ u32be(epoch), info = 'fieldchat/v1/signal/key')
 *   plain = device(32) ‖ signature(64) ‖ u64be(time ms) ‖ id(16) ‖ u16be(n) ‖ payload(n) ‖ zeros
 *   signature: the device over frame('fieldchat/v1/signal/signature', [conv, u32be(epoch), u64be(time), id, payload])
 *
 * `plain` is 512, 1024 or 2000 bytes (the smallest that fits), so a typing notice and a receipt
 * have the same size. The epoch key itself never seals a signal (only K does, [C5]).
 */
export const SIGNAL_VERSION = 1
export const SIGNAL_BUCKETS = [512, 1024, 2000] as const
const LARGEST = 2000
const HEAD = 1 + 4 + 24
const SIGNED = 32 + 64 + 8 + 16 + 2
/** The largest payload a signal carries (the largest bucket less what the seal adds inside). */
export const MAX_SIGNAL_PAYLOAD = LARGEST - SIGNED
/** The largest sealed body: 2,045 bytes, under the protocol's 2 KiB cap (protocol [S44]). */
export const MAX_SIGNAL_BODY = HEAD + 16 + LARGEST

export interface OpenedSignal {
  /** The signing device, as its signature proves. */
  readonly device: SignPublicKey
  readonly epoch: number
  /** The sender's clock (ms) and a random id: what a replay check keys on ([E14]). */
  readonly time: number
  readonly id: Uint8Array
  readonly payload: Uint8Array
}

const u32 = (n: number) => {
  const b = new Uint8Array(4)
  writeU32(new DataView(b.buffer), 0, n)
  return b
}
const u64 = (n: number) => {
  const b = new Uint8Array(8)
  writeU53(new DataView(b.buffer), 0, n)
  return b
}

function signalKey(key: EpochKey, conv: Uint8Array, epoch: number): Uint8Array {
  return deriveKey(key, 'fieldchat/v1/signal/key', concat(conv, u32(epoch)))
}

export function signalSignedBytes(conv: Uint8Array, epoch: number, time: number, id: Uint8Array, payload: Uint8Array): Uint8Array {
  return frame('fieldchat/v1/signal/signature', [conv, u32(epoch), u64(time), id, payload])
}

function checkArgs(key: Uint8Array, conv: Uint8Array, epoch: number, payload: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new CryptoMisuse('EpochKey must be 32 bytes')
  if (!(conv instanceof Uint8Array) || conv.length !== 16) throw new CryptoMisuse('conversation id must be 16 bytes')
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new CryptoMisuse('epoch must be a u32')
  if (!(payload instanceof Uint8Array)) throw new CryptoMisuse('payload must be a Uint8Array')
  if (payload.length > MAX_SIGNAL_PAYLOAD) throw new CryptoMisuse(`a signal payload is at most ${MAX_SIGNAL_PAYLOAD} bytes`)
}

/** [E14] Seals `payload` for the members of `conv` at `epoch`, signed by `signer` (this device). */
export async function sealSignal(key: EpochKey, conv: Uint8Array, epoch: number, signer: Signer, payload: Uint8Array, time = Date.now()): Promise<Uint8Array> {
  checkArgs(key, conv, epoch, payload)
  if (!Number.isSafeInteger(time) || time < 0) throw new CryptoMisuse('time must be a non-negative safe integer')
  const id = randomBytes(16)
  const signature = await signer.sign(signalSignedBytes(conv, epoch, time, id, payload))
  return sealSignalParts(key, conv, epoch, { device: signer.publicKey, signature, time, id, payload }, randomBytes(24))
}

/**
 * The seal itself, from given parts and nonce: for vectors and for tests that play a modified
 * client (a signature that is not the device's). Not exported from the crypto index.
 */
export function sealSignalParts(key: EpochKey, conv: Uint8Array, epoch: number, p: { device: Uint8Array; signature: Uint8Array; time: number; id: Uint8Array; payload: Uint8Array }, nonce: Uint8Array): Uint8Array {
  checkArgs(key, conv, epoch, p.payload)
  if (p.device.length !== 32 || p.signature.length !== 64 || p.id.length !== 16 || nonce.length !== 24) throw new CryptoMisuse('signal parts have the wrong lengths')
  const size = SIGNAL_BUCKETS.find((b) => b >= SIGNED + p.payload.length)!
  const plain = new Uint8Array(size)
  const view = new DataView(plain.buffer)
  plain.set(p.device, 0)
  plain.set(p.signature, 32)
  writeU53(view, 96, p.time)
  plain.set(p.id, 104)
  view.setUint16(120, p.payload.length, false)
  plain.set(p.payload, SIGNED)
  const k = signalKey(key, conv, epoch)
  const sealed = nacl.secretbox(plain, nonce, k)
  k.fill(0)
  return concat(new Uint8Array([SIGNAL_VERSION]), u32(epoch), nonce, sealed)
}

/** The epoch a body says it was sealed under (to look its key up), or undefined. */
export function signalEpoch(body: Uint8Array): number | undefined {
  if (!(body instanceof Uint8Array) || body.length < HEAD || body[0] !== SIGNAL_VERSION) return undefined
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1, false)
}

/**
 * [E14] Opens a signal of `conv`. In order: the layout (C100), the version (C108), the key of the
 * epoch it names (C103), the authenticator — checked before a byte is decrypted (C104) —, the
 * length field and zero padding (C106), the device key ([C1], C107), then the device's signature
 * (C101). Nothing of the payload is returned before all of them pass.
 */
export async function openSignal(keyFor: (epoch: number) => EpochKey | undefined, conv: Uint8Array, body: Uint8Array): Promise<Result<OpenedSignal>> {
  if (!(conv instanceof Uint8Array) || conv.length !== 16) throw new CryptoMisuse('conversation id must be 16 bytes')
  if (!(body instanceof Uint8Array) || body.length < HEAD) return fail(CryptoErrorCode.MALFORMED)
  if (body[0] !== SIGNAL_VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION)
  if (!SIGNAL_BUCKETS.some((b) => body.length === HEAD + 16 + b)) return fail(CryptoErrorCode.MALFORMED, 'length')
  const epoch = signalEpoch(body)!
  const key = keyFor(epoch)
  if (!key) return fail(CryptoErrorCode.NO_KEY, `epoch ${epoch}`)
  const k = signalKey(key, conv, epoch)
  const plain = nacl.secretbox.open(body.subarray(HEAD), body.subarray(5, HEAD), k)
  k.fill(0)
  if (!plain) return fail(CryptoErrorCode.DECRYPT_FAILED)
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength)
  const n = view.getUint16(120, false)
  const time = readU53(view, 96)
  if (SIGNED + n > plain.length || time === undefined) return fail(CryptoErrorCode.BAD_PADDING)
  for (let i = SIGNED + n; i < plain.length; i++) if (plain[i] !== 0) return fail(CryptoErrorCode.BAD_PADDING)
  const device = parseSignPublicKey(plain.slice(0, 32))
  if (!device) return fail(CryptoErrorCode.BAD_KEY)
  const id = plain.slice(104, 120)
  const payload = plain.slice(SIGNED, SIGNED + n)
  if (!(await verifySignature(signalSignedBytes(conv, epoch, time, id, payload), plain.subarray(32, 96), device))) return fail(CryptoErrorCode.BAD_SIGNATURE)
  return ok({ device, epoch, time, id, payload })
}
