import { bytesEqual, utf8 } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'

/**
 * [R5] The clear header of an export archive (71 bytes, big-endian):
 * magic(8) ‖ version(1) ‖ kdf(1) ‖ p(1) ‖ t(1) ‖ m(4, KiB) ‖ salt(16) ‖ nonce prefix(7) ‖ check(32).
 * Everything before the check (the first 39 bytes) is the HKDF salt of the archive's keys, and the
 * whole header is the additional data of every chunk: no field can be changed without the
 * archive failing to open.
 */
const ARCHIVE_MAGIC = utf8.encode('FCARCHIV')
export const ARCHIVE_VERSION = 1
/** The only key derivation of version 1: Argon2id (RFC 9106, version 0x13). */
export const ARCHIVE_KDF_ARGON2ID = 1
export const ARCHIVE_SALT_BYTES = 16
export const ARCHIVE_PREFIX_BYTES = 7
export const ARCHIVE_CHECK_BYTES = 32
/** Bytes before the check value: the HKDF salt of the archive's keys. */
export const ARCHIVE_BOUND_BYTES = 8 + 1 + 1 + 1 + 1 + 4 + ARCHIVE_SALT_BYTES + ARCHIVE_PREFIX_BYTES
export const ARCHIVE_HEADER_BYTES = ARCHIVE_BOUND_BYTES + ARCHIVE_CHECK_BYTES

export interface ArchiveKdf {
  /** Passes. */
  readonly t: number
  /** Memory in KiB. */
  readonly m: number
  /** Lanes. */
  readonly p: number
}

/**
 * [R5] What a reader agrees to compute before it knows whether the passphrase is right. A file
 * is hostile input: without these bounds one could ask for 4 GiB of memory or hours of work.
 * The writer's default (crypto [R4]'s 19 MiB, t = 2, p = 1) is well inside them.
 */
export const ARCHIVE_KDF_LIMITS = { maxT: 8, maxM: 65_536, maxP: 4, maxWork: 262_144 } as const

export function kdfWithinLimits(k: ArchiveKdf): boolean {
  const int = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi
  const L = ARCHIVE_KDF_LIMITS
  return int(k.p, 1, L.maxP) && int(k.t, 1, L.maxT) && int(k.m, 8 * k.p, L.maxM) && k.t * k.m <= L.maxWork
}

export interface ArchiveHeader {
  readonly kdf: ArchiveKdf
  readonly salt: Uint8Array
  readonly noncePrefix: Uint8Array
  readonly check: Uint8Array
  /** The header as read: the additional data of every chunk. */
  readonly bytes: Uint8Array
}

/** The header's first 39 bytes; the caller appends the check value. */
export function encodeArchivePrefix(kdf: ArchiveKdf, salt: Uint8Array, noncePrefix: Uint8Array): Uint8Array {
  if (!kdfWithinLimits(kdf)) throw new CryptoMisuse(`archive Argon2id parameters out of bounds: t=${kdf.t} m=${kdf.m} p=${kdf.p}`)
  if (!(salt instanceof Uint8Array) || salt.length !== ARCHIVE_SALT_BYTES) throw new CryptoMisuse('an archive salt is 16 bytes')
  if (!(noncePrefix instanceof Uint8Array) || noncePrefix.length !== ARCHIVE_PREFIX_BYTES) throw new CryptoMisuse('an archive nonce prefix is 7 bytes')
  const out = new Uint8Array(ARCHIVE_BOUND_BYTES)
  const view = new DataView(out.buffer)
  out.set(ARCHIVE_MAGIC, 0)
  out[8] = ARCHIVE_VERSION
  out[9] = ARCHIVE_KDF_ARGON2ID
  out[10] = kdf.p
  out[11] = kdf.t
  view.setUint32(12, kdf.m, false)
  out.set(salt, 16)
  out.set(noncePrefix, 32)
  return out
}

/**
 * [R5] Reads the clear header and nothing else: another magic or a short file is C100, another
 * version or key derivation C108, parameters outside {@link ARCHIVE_KDF_LIMITS} C100 (detail
 * `kdf`) — all before any key derivation is attempted.
 */
export function readArchiveHeader(bytes: Uint8Array): Result<ArchiveHeader> {
  if (!(bytes instanceof Uint8Array) || bytes.length < ARCHIVE_MAGIC.length) return fail(CryptoErrorCode.MALFORMED)
  if (!bytesEqual(bytes.subarray(0, ARCHIVE_MAGIC.length), ARCHIVE_MAGIC)) return fail(CryptoErrorCode.MALFORMED, 'not an archive')
  if (bytes.length < ARCHIVE_HEADER_BYTES) return fail(CryptoErrorCode.MALFORMED, 'short header')
  if (bytes[8] !== ARCHIVE_VERSION) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, `archive v${bytes[8]}`)
  if (bytes[9] !== ARCHIVE_KDF_ARGON2ID) return fail(CryptoErrorCode.UNSUPPORTED_VERSION, `kdf ${bytes[9]}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, ARCHIVE_HEADER_BYTES)
  const kdf = { p: bytes[10]!, t: bytes[11]!, m: view.getUint32(12, false) }
  if (!kdfWithinLimits(kdf)) return fail(CryptoErrorCode.MALFORMED, 'kdf')
  const header = bytes.slice(0, ARCHIVE_HEADER_BYTES)
  return ok({
    kdf,
    salt: header.subarray(16, 32),
    noncePrefix: header.subarray(32, ARCHIVE_BOUND_BYTES),
    check: header.subarray(ARCHIVE_BOUND_BYTES),
    bytes: header,
  })
}
