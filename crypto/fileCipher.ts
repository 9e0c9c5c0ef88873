import { CryptoErrorCode, CryptoMisuse, fail, ok, type Result } from './errors.js'
import { frame } from './hash.js'
import { asFileKey, type FileKey } from './keys.js'
import { randomBytes } from './random.js'
import { nodeOpen, nodeSeal } from './atRestNode.js'
import { chunkNonce } from './archive.js'

const EMPTY = new Uint8Array(0)

/**
 * [F1]–[F4] A file's content, sealed for the blob store: cut into chunks of 64 KiB, each sealed
 * with AES-256-GCM (WebCrypto) under the file's own random key, with nonce = the file's random
 * 7-byte prefix ‖ u32be(index) ‖ u8(1 on the last chunk, else 0) and additional data binding the
 * blob id and the exact size (the STREAM construction). Every sealed chunk is exactly
 * {@link FILE_SEALED_CHUNK_BYTES}: the last one is zero-padded inside the seal, so the server sees
 * a number of chunks, never a size to the byte.
 */
export const FILE_CHUNK_BYTES = 65_536
export const FILE_TAG_BYTES = 16
export const FILE_SEALED_CHUNK_BYTES = FILE_CHUNK_BYTES + FILE_TAG_BYTES
export const FILE_NONCE_PREFIX_BYTES = 7
/** u32 chunk indexes: 2^32 chunks of 64 KiB. The product's own limit is far lower (protocol [B1]). */
export const FILE_MAX_CHUNKS = 0xffff_ffff
const CHUNK_DOMAIN = 'fieldchat/v1/file/chunk'

/** What a file's reader needs besides the sealed chunks: travels only inside the encrypted message. */
export interface FileSecret {
  readonly key: FileKey
  readonly noncePrefix: Uint8Array
}

/** What every chunk's additional data binds ([F2]): the blob that holds it and the file's exact size. */
export interface FileBinding {
  readonly blob: Uint8Array
  readonly size: number
}

export interface FileSealer {
  readonly chunks: number
  /**
   * Seals chunk `index` (each index once): exactly 64 KiB of content, less only for the last.
   * Into `into` when given (exactly one sealed chunk long; it is returned), else a new buffer.
   */
  seal(index: number, content: Uint8Array, into?: Uint8Array): Promise<Uint8Array>
}

export interface FileOpener {
  readonly chunks: number
  /** Opens chunk `index`: its content (the last one without its padding), or a coded failure. */
  open(index: number, sealed: Uint8Array): Promise<Result<Uint8Array>>
}

const bs = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new CryptoMisuse('files need WebCrypto (a secure context)')
  return s
}

/** [F1] A fresh key and nonce prefix. [F3]: one secret seals one file, once; a restarted encryption draws a new one. */
export function generateFileSecret(): FileSecret {
  return { key: asFileKey(randomBytes(32)), noncePrefix: randomBytes(FILE_NONCE_PREFIX_BYTES) }
}

/** A secret read from a received message: undefined unless both parts have their exact lengths. */
export function parseFileSecret(key: Uint8Array, noncePrefix: Uint8Array): FileSecret | undefined {
  if (!(key instanceof Uint8Array) || !(noncePrefix instanceof Uint8Array)) return undefined
  if (key.length !== 32 || noncePrefix.length !== FILE_NONCE_PREFIX_BYTES) return undefined
  return { key: key as FileKey, noncePrefix }
}

/** Chunks holding `size` bytes: at least one (an empty file is one chunk of padding). */
export function fileChunkCount(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new CryptoMisuse('a file size is a non-negative safe integer')
  const n = Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES))
  if (n > FILE_MAX_CHUNKS) throw new CryptoMisuse('file too large for u32 chunk indexes')
  return n
}

/** [F1] nonce = prefix(7) ‖ u32be(index) ‖ u8(last): the same STREAM nonce as an archive's ([R5]). */
export function fileChunkNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  return chunkNonce(prefix, index, last)
}

/** [F2] additional data = frame('fieldchat/v1/file/chunk', [blob, u64be(size)]). */
export function fileChunkAad(binding: FileBinding): Uint8Array {
  const size = new Uint8Array(8)
  new DataView(size.buffer).setBigUint64(0, BigInt(binding.size), false)
  return frame(CHUNK_DOMAIN, [binding.blob, size])
}

function check(secret: FileSecret, binding: FileBinding): number {
  asFileKey(secret.key)
  if (!(secret.noncePrefix instanceof Uint8Array) || secret.noncePrefix.length !== FILE_NONCE_PREFIX_BYTES) throw new CryptoMisuse('a file nonce prefix is 7 bytes')
  if (!(binding.blob instanceof Uint8Array) || binding.blob.length !== 16) throw new CryptoMisuse('a blob id is 16 bytes')
  return fileChunkCount(binding.size)
}

function checkIndex(index: number, chunks: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= chunks) throw new CryptoMisuse(`chunk index ${index} is outside 0…${chunks - 1}`)
}

const importKey = (key: FileKey, usage: 'encrypt' | 'decrypt') => subtle().importKey('raw', bs(key), 'AES-GCM', false, [usage])

/**
 * [F1][F3] A sealer for one file. Sealing an index twice throws: the same nonce would seal two
 * contents if the file changed in between. Sealing again is only {@link createFileResealer}'s,
 * which lets out nothing but the very chunk sealed before.
 */
export async function createFileSealer(secret: FileSecret, binding: FileBinding): Promise<FileSealer> {
  const seal = await chunkSealer(secret, binding)
  const sealed = new Uint8Array(Math.ceil(seal.chunks / 8))
  return {
    chunks: seal.chunks,
    async seal(index, content, into) {
      checkIndex(index, seal.chunks)
      const bit = 1 << (index & 7)
      if (sealed[index >> 3]! & bit) throw new CryptoMisuse(`chunk ${index} was sealed already (a nonce never seals twice)`)
      sealed[index >> 3]! |= bit
      try {
        return await seal(index, content, into)
      } catch (err) {
        // Refused before sealing (a wrong length): the index was not used.
        sealed[index >> 3]! &= ~bit
        throw err
      }
    },
  }
}

export interface FileResealer {
  readonly chunks: number
  /**
   * [F3] Seals chunk `index` again from `content` and returns it only when it is the very chunk
   * sealed before: its tag equals `tag`, the tag of the first sealing (the last
   * {@link FILE_TAG_BYTES} of that sealed chunk). Otherwise the content changed since: `into`
   * (or the new buffer) is wiped and undefined returned, so a second content sealed under the
   * same nonce never leaves the caller.
   */
  reseal(index: number, content: Uint8Array, tag: Uint8Array, into?: Uint8Array): Promise<Uint8Array | undefined>
}

/**
 * [F3] Seals a file's chunks again (a transfer resumed from the file itself, not from a sealed
 * copy), checked against the tags of the first sealing. Equal tags under one key, nonce and
 * additional data mean the same ciphertext (GHASH under a key the file's writer does not hold:
 * a different content collides with probability under 2^-116 per 64 KiB chunk).
 */
export async function createFileResealer(secret: FileSecret, binding: FileBinding): Promise<FileResealer> {
  const seal = await chunkSealer(secret, binding)
  return {
    chunks: seal.chunks,
    async reseal(index, content, tag, into) {
      checkIndex(index, seal.chunks)
      if (!(tag instanceof Uint8Array) || tag.length !== FILE_TAG_BYTES) throw new CryptoMisuse(`a chunk tag is ${FILE_TAG_BYTES} bytes`)
      const out = await seal(index, content, into)
      let diff = 0
      for (let i = 0; i < FILE_TAG_BYTES; i++) diff |= out[FILE_CHUNK_BYTES + i]! ^ tag[i]!
      if (diff === 0) return out
      out.fill(0)
      return undefined
    },
  }
}

/** The chunk sealing of [F1] with its checks, without [F3]'s once-only rule (the callers above keep it). */
async function chunkSealer(secret: FileSecret, binding: FileBinding) {
  const chunks = check(secret, binding)
  const key = await importKey(secret.key, 'encrypt')
  const aad = fileChunkAad(binding)
  const lastLength = binding.size - (chunks - 1) * FILE_CHUNK_BYTES
  const seal = async (index: number, content: Uint8Array, into?: Uint8Array): Promise<Uint8Array> => {
    if (!(content instanceof Uint8Array)) throw new CryptoMisuse('chunk content is a Uint8Array')
    if (into !== undefined && (!(into instanceof Uint8Array) || into.length !== FILE_SEALED_CHUNK_BYTES)) throw new CryptoMisuse(`a sealed chunk is written into exactly ${FILE_SEALED_CHUNK_BYTES} bytes`)
    const last = index === chunks - 1
    const expected = last ? lastLength : FILE_CHUNK_BYTES
    if (content.length !== expected) throw new CryptoMisuse(`chunk ${index} must hold ${expected} bytes, got ${content.length}`)
    let plain = content
    if (last && content.length < FILE_CHUNK_BYTES) {
      plain = new Uint8Array(FILE_CHUNK_BYTES)
      plain.set(content)
    }
    const iv = fileChunkNonce(secret.noncePrefix, index, last)
    // Node: OpenSSL on this thread (one trip to WebCrypto's pool per 64 KiB chunk costs more than the cipher).
    const fast = nodeSeal(key, EMPTY, iv, aad, plain, into)
    if (fast) return fast
    const made = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bs(iv), additionalData: bs(aad) }, key, bs(plain)))
    if (!into) return made
    into.set(made)
    return into
  }
  return Object.assign(seal, { chunks })
}

/**
 * [F2][F4] An opener for one file. A chunk that is not exactly one sealed chunk long is C100; one
 * that does not open under this key, nonce (index, last flag) and binding is C104 `chunk N`; a last
 * chunk whose padding is not all zero is C106. Nothing of a failed chunk is returned.
 */
export async function createFileOpener(secret: FileSecret, binding: FileBinding): Promise<FileOpener> {
  const chunks = check(secret, binding)
  const key = await importKey(secret.key, 'decrypt')
  const aad = fileChunkAad(binding)
  const lastLength = binding.size - (chunks - 1) * FILE_CHUNK_BYTES
  return {
    chunks,
    async open(index, sealed) {
      checkIndex(index, chunks)
      if (!(sealed instanceof Uint8Array) || sealed.length !== FILE_SEALED_CHUNK_BYTES) return fail(CryptoErrorCode.MALFORMED, `chunk ${index} length`)
      const last = index === chunks - 1
      const iv = fileChunkNonce(secret.noncePrefix, index, last)
      let plain: Uint8Array
      const fast = nodeOpen(key, iv, aad, sealed)
      if (fast === null) return fail(CryptoErrorCode.DECRYPT_FAILED, `chunk ${index}`)
      if (fast) plain = fast
      else {
        try {
          plain = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: bs(iv), additionalData: bs(aad) }, key, bs(sealed)))
        } catch {
          return fail(CryptoErrorCode.DECRYPT_FAILED, `chunk ${index}`)
        }
      }
      if (!last) return ok(plain)
      for (let i = lastLength; i < plain.length; i++) {
        if (plain[i] !== 0) {
          plain.fill(0)
          return fail(CryptoErrorCode.BAD_PADDING, `chunk ${index}`)
        }
      }
      return ok(plain.subarray(0, lastLength))
    },
  }
}

/** [F4] A padding chunk: random bytes of a sealed chunk's length, indistinguishable from one to the server; never opened. */
export function fileFillerChunk(): Uint8Array {
  return randomBytes(FILE_SEALED_CHUNK_BYTES)
}
