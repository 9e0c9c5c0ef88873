import { sha256 } from '@noble/hashes/sha2.js'
import { concat } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { deriveKey } from './hash.js'
import { randomBytes } from './random.js'
import { openUnder, sealUnder } from './secretBox.js'

/**
 * [R7] A person's recovery key: 32 random bytes, shown once as text (Crockford base32 with a
 * check byte, in groups of four) or a QR code. Everything recovery uses derives from it by HKDF
 * under its own domain (salt: 32 zero bytes): the blob's address on the server, the secret that
 * lets a device overwrite or delete that blob, the key that seals the blob, and the key that
 * seals the recovery device's private keys inside it. The server sees the address (a hash of the
 * key, unlinkable to a person) and the padded blob; none of the others.
 */
export interface RecoverySecrets {
  /** The blob's address on the server. */
  readonly addr: Uint8Array
  /** Proves the right to replace or delete the blob (the server keeps its hash). */
  readonly write: Uint8Array
  /** Seals the blob (its devices keep it, to refresh the blob). */
  readonly blob: Uint8Array
  /** Seals the recovery device's private keys: nowhere but under the recovery key. */
  readonly device: Uint8Array
}

const ZERO = new Uint8Array(32)
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const KEY_BYTES = 32

export function generateRecoveryKey(): Uint8Array {
  return randomBytes(KEY_BYTES)
}

export function recoverySecrets(key: Uint8Array): RecoverySecrets {
  if (key.length !== KEY_BYTES) throw new CryptoMisuse('a recovery key is 32 bytes')
  const d = (what: string) => deriveKey(key, `fieldchat/v1/recovery/${what}`, ZERO)
  return { addr: d('address'), write: d('write'), blob: d('blob'), device: d('device') }
}

const checkByte = (key: Uint8Array) => sha256(concat(new TextEncoder().encode('fieldchat/v1/recovery/check'), key))[0]!

/** [R7] The key as a person writes it down: 53 base32 characters (key and a check byte) in groups of four. */
export function recoveryKeyText(key: Uint8Array): string {
  if (key.length !== KEY_BYTES) throw new CryptoMisuse('a recovery key is 32 bytes')
  const bytes = concat(key, Uint8Array.of(checkByte(key)))
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out.match(/.{1,4}/g)!.join('-')
}

/**
 * [R7] A recovery key as typed or scanned: spaces, dashes and case do not matter, O reads as 0 and
 * I or L as 1; a typo (a wrong check byte) or a wrong length is MALFORMED, never a wrong key.
 */
export function parseRecoveryKey(text: string): Result<Uint8Array> {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  if (clean.length !== 53 || /[^0-9A-HJKMNP-TV-Z]/.test(clean)) return fail(CryptoErrorCode.MALFORMED, 'a recovery key is 53 letters and digits')
  const out = new Uint8Array(KEY_BYTES + 1)
  let bits = 0
  let value = 0
  let i = 0
  for (const c of clean) {
    value = (value << 5) | ALPHABET.indexOf(c)
    bits += 5
    if (bits >= 8) {
      out[i++] = (value >>> (bits - 8)) & 0xff
      bits -= 8
    }
    value &= (1 << bits) - 1
  }
  if (value !== 0) return fail(CryptoErrorCode.MALFORMED, 'not a recovery key')
  const key = out.slice(0, KEY_BYTES)
  if (out[KEY_BYTES] !== checkByte(key)) return fail(CryptoErrorCode.MALFORMED, 'a letter or digit of the recovery key is wrong')
  return ok(key)
}

/** [R7] Sealed blob sizes: powers of two from 4 KiB to 4 MiB (the size says only its bucket). */
export const RECOVERY_BLOB_MIN = 4096
export const RECOVERY_BLOB_MAX = 4 * 1024 * 1024
const OVERHEAD = 24 + 16

/**
 * [R7] The recovery blob: `u32 length ‖ plaintext ‖ zeros`, sealed ([L5] sealUnder: HKDF for
 * `recovery/blob` and the address, XSalsa20-Poly1305, random 24-byte nonce) to the smallest
 * power of two that holds it. Plaintext over the largest bucket is misuse.
 */
export function sealRecoveryBlob(secrets: Pick<RecoverySecrets, 'addr' | 'blob'>, plaintext: Uint8Array): Uint8Array {
  let size = RECOVERY_BLOB_MIN
  while (size - OVERHEAD < plaintext.length + 4) size *= 2
  if (size > RECOVERY_BLOB_MAX) throw new CryptoMisuse('recovery data over 4 MiB')
  const framed = new Uint8Array(size - OVERHEAD)
  new DataView(framed.buffer).setUint32(0, plaintext.length)
  framed.set(plaintext, 4)
  return sealUnder(secrets.blob, 'recovery/blob', secrets.addr, framed)
}

export function openRecoveryBlob(secrets: Pick<RecoverySecrets, 'addr' | 'blob'>, sealed: Uint8Array): Result<Uint8Array> {
  if (sealed.length < RECOVERY_BLOB_MIN || sealed.length > RECOVERY_BLOB_MAX || (sealed.length & (sealed.length - 1)) !== 0) return fail(CryptoErrorCode.BAD_PADDING)
  const opened = openUnder(secrets.blob, 'recovery/blob', secrets.addr, sealed)
  if (!opened.ok) return opened
  const length = new DataView(opened.value.buffer, opened.value.byteOffset).getUint32(0)
  if (length > opened.value.length - 4) return fail(CryptoErrorCode.BAD_PADDING)
  if (opened.value.subarray(4 + length).some((b) => b !== 0)) return fail(CryptoErrorCode.BAD_PADDING)
  return ok(opened.value.slice(4, 4 + length))
}

/** [R7] The recovery device's private keys, sealed under the recovery key's `device` secret only. */
export function sealRecoveryDevice(secrets: RecoverySecrets, keys: Uint8Array): Uint8Array {
  return sealUnder(secrets.device, 'recovery/device', secrets.addr, keys)
}

export function openRecoveryDevice(secrets: RecoverySecrets, sealed: Uint8Array): Result<Uint8Array> {
  return openUnder(secrets.device, 'recovery/device', secrets.addr, sealed)
}
