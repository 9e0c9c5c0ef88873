import { bytesEqual } from './bytes.js'
import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { deriveKey } from './hash.js'
import { randomBytes } from './random.js'
import { PASSPHRASE_KDF, stretchPassphrase } from './atRest.js'
import {
  ARCHIVE_BOUND_BYTES, ARCHIVE_HEADER_BYTES, ARCHIVE_PREFIX_BYTES, ARCHIVE_SALT_BYTES, encodeArchivePrefix, readArchiveHeader, type ArchiveKdf,
} from './archiveHeader.js'

export { ARCHIVE_HEADER_BYTES, ARCHIVE_KDF_LIMITS, readArchiveHeader, type ArchiveHeader, type ArchiveKdf } from './archiveHeader.js'

/**
 * [R5] An export archive: a clear header (archiveHeader.ts), then the content in chunks of 64 KiB,
 * each sealed with AES-256-GCM under a key made from the passphrase by Argon2id with the
 * archive's own random salt, then HKDF. Each chunk's nonce is the archive's random 7-byte prefix ‖
 * u32be(index) ‖ u8(1 on the last chunk, else 0), and the header is every chunk's additional
 * data (the STREAM construction): chunks cannot be reordered, dropped, repeated, moved from
 * another archive, or the archive cut short or extended, without a chunk failing to open.
 */
export const ARCHIVE_CHUNK_BYTES = 65_536
const TAG_BYTES = 16
const SEALED_CHUNK = ARCHIVE_CHUNK_BYTES + TAG_BYTES
/** Chunk operations in flight at once: WebCrypto's per-call overhead dominates one at a time. */
const IN_FLIGHT = 8
const KEY_DOMAIN = 'fieldchat/v1/archive/key'
const CHECK_DOMAIN = 'fieldchat/v1/archive/check'

const bs = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new CryptoMisuse('archives need WebCrypto (a secure context)')
  return s
}

/** The fixed inputs of a seal: random in {@link sealArchive}; given only by the vector tests. */
export interface ArchiveSealInputs {
  readonly kdf: ArchiveKdf
  readonly salt: Uint8Array
  readonly noncePrefix: Uint8Array
}

/** [R5] Seals `content` under `passphrase` (Argon2id at [R4]'s parameters unless `kdf` says otherwise), with a fresh salt and nonce prefix. */
export function sealArchive(passphrase: string, content: Uint8Array, kdf: ArchiveKdf = PASSPHRASE_KDF): Promise<Uint8Array> {
  return sealArchiveWith(passphrase, content, { kdf, salt: randomBytes(ARCHIVE_SALT_BYTES), noncePrefix: randomBytes(ARCHIVE_PREFIX_BYTES) })
}

/**
 * [R5] The seam for vectors: a seal with the salt and nonce prefix given. Not exported from
 * crypto/index.ts; anything but a test must call {@link sealArchive}, or one passphrase and salt
 * would give one key for two archives.
 */
export async function sealArchiveWith(passphrase: string, content: Uint8Array, inputs: ArchiveSealInputs): Promise<Uint8Array> {
  checkPassphrase(passphrase)
  if (!(content instanceof Uint8Array)) throw new CryptoMisuse('archive content is a Uint8Array')
  const bound = encodeArchivePrefix(inputs.kdf, inputs.salt, inputs.noncePrefix)
  const chunks = Math.max(1, Math.ceil(content.length / ARCHIVE_CHUNK_BYTES))
  if (chunks > 0xffff_ffff) throw new CryptoMisuse('archive content too large')
  const { key, check } = await deriveArchiveKeys(passphrase, inputs.kdf, inputs.salt, bound)
  const out = new Uint8Array(ARCHIVE_HEADER_BYTES + content.length + chunks * TAG_BYTES)
  out.set(bound, 0)
  out.set(check, ARCHIVE_BOUND_BYTES)
  const header = out.slice(0, ARCHIVE_HEADER_BYTES)
  await eachChunk(chunks, async (i) => {
    const plain = content.subarray(i * ARCHIVE_CHUNK_BYTES, (i + 1) * ARCHIVE_CHUNK_BYTES)
    const params = { name: 'AES-GCM', iv: bs(chunkNonce(inputs.noncePrefix, i, i === chunks - 1)), additionalData: bs(header) }
    const sealed = new Uint8Array(await subtle().encrypt(params, key, bs(plain)))
    out.set(sealed, ARCHIVE_HEADER_BYTES + i * SEALED_CHUNK)
  })
  return out
}

/**
 * [R5] Opens an archive. Its header is read and its parameters bounded before any work; the
 * layout is checked next (C100); a passphrase that does not give the header's check value is
 * C104 with detail `passphrase` (so is a header whose parameters, salt or prefix were changed:
 * they are inputs of the check); a chunk that does not open is C104 with detail `chunk N`.
 * Nothing partial is returned.
 */
export async function unsealArchive(passphrase: string, bytes: Uint8Array): Promise<Result<Uint8Array>> {
  checkPassphrase(passphrase)
  const read = readArchiveHeader(bytes)
  if (!read.ok) return read
  const h = read.value
  const bodyLength = bytes.length - ARCHIVE_HEADER_BYTES
  const chunks = Math.max(1, Math.ceil(bodyLength / SEALED_CHUNK))
  const lastLength = bodyLength - (chunks - 1) * SEALED_CHUNK
  if (lastLength < TAG_BYTES || chunks > 0xffff_ffff) return fail(CryptoErrorCode.MALFORMED, 'length')
  const { key, check } = await deriveArchiveKeys(passphrase, h.kdf, h.salt, h.bytes.subarray(0, ARCHIVE_BOUND_BYTES))
  if (!bytesEqual(check, h.check)) return fail(CryptoErrorCode.DECRYPT_FAILED, 'passphrase')
  const out = new Uint8Array(bodyLength - chunks * TAG_BYTES)
  let failed: number | undefined
  await eachChunk(chunks, async (i) => {
    if (failed !== undefined) return
    const start = ARCHIVE_HEADER_BYTES + i * SEALED_CHUNK
    const sealed = bytes.subarray(start, Math.min(start + SEALED_CHUNK, bytes.length))
    const params = { name: 'AES-GCM', iv: bs(chunkNonce(h.noncePrefix, i, i === chunks - 1)), additionalData: bs(h.bytes) }
    try {
      out.set(new Uint8Array(await subtle().decrypt(params, key, bs(sealed))), i * ARCHIVE_CHUNK_BYTES)
    } catch {
      failed = Math.min(failed ?? i, i)
    }
  })
  if (failed !== undefined) {
    out.fill(0)
    return fail(CryptoErrorCode.DECRYPT_FAILED, `chunk ${failed}`)
  }
  return ok(out)
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new CryptoMisuse('an archive passphrase is a non-empty string')
}

/** [R5] nonce = prefix(7) ‖ u32be(index) ‖ u8(last): unique per chunk under a key unique per archive. */
export function chunkNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(12)
  nonce.set(prefix, 0)
  new DataView(nonce.buffer).setUint32(ARCHIVE_PREFIX_BYTES, index, false)
  nonce[11] = last ? 1 : 0
  return nonce
}

/**
 * [R5] master = Argon2id(NFC passphrase, salt, t, m, p); key and check value = HKDF-SHA-256(master,
 * salt = the header's first 39 bytes) under their own domains. The key is imported
 * non-extractable; master and key bytes are wiped.
 */
async function deriveArchiveKeys(passphrase: string, kdf: ArchiveKdf, salt: Uint8Array, bound: Uint8Array): Promise<{ key: CryptoKey; check: Uint8Array }> {
  const master = stretchPassphrase(passphrase, salt, kdf)
  const raw = deriveKey(master, KEY_DOMAIN, bound)
  const check = deriveKey(master, CHECK_DOMAIN, bound)
  master.fill(0)
  try {
    return { key: await subtle().importKey('raw', bs(raw), 'AES-GCM', false, ['encrypt', 'decrypt']), check }
  } finally {
    raw.fill(0)
  }
}

/** Runs `work(0 … n−1)`, at most {@link IN_FLIGHT} at once. */
async function eachChunk(n: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < n) await work(next++)
  }
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, lane))
}
