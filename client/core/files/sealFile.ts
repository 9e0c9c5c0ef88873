import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, contentHasher, createFileSealer, generateFileSecret, randomBytes, toHex, type FileSecret } from '../../../crypto/index.js'
import { blobIdBytes, blobIdOf, paddedChunkCount, type BlobId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { MAX_FILE_BYTES } from './ref.js'
import type { FileSource } from './source.js'
import type { Spool } from './spool.js'

/**
 * Where sealing puts each step's sealed chunks: the spool (a sealed copy), or only their tags (a
 * file sent from its path, sealed again when it is sent, [A2]). `write` may still read `sealed`
 * until its next call returns; `flush` makes what was written durable.
 */
export interface SealedOutput {
  write(index: number, sealed: Uint8Array): Promise<void>
  flush(): Promise<void>
}

/** Chunks read and sealed per step: 1 MiB of the source in memory at a time. */
export const SEAL_STEP_CHUNKS = 16

export interface SealedFile {
  readonly blob: BlobId
  readonly secret: FileSecret
  readonly size: number
  /** Chunks that hold content; the rest up to `chunks` are filler (crypto [F4]). */
  readonly real: number
  readonly chunks: number
  readonly sha256: string
}

export interface SealOptions {
  readonly signal?: AbortSignal
  /** Content bytes sealed and written out so far. */
  readonly onProgress?: (bytes: number) => void
  /** Called once before sealing starts, with the blob's id, its real and padded chunk counts and the secret (an early upload, [A2]). */
  readonly onStart?: (blob: BlobId, real: number, chunks: number, secret: FileSecret) => void
}

/** The spool entry `id` as a sealed output: the file's sealed copy. */
export const intoSpool = (spool: Spool, id: string): SealedOutput => ({ write: (index, sealed) => spool.write(id, index, sealed), flush: () => spool.flush(id) })

/**
 * [A2] Seals a file under a fresh secret and blob id (crypto [F1], [F3]) into `out`, hashing it
 * on the way ([F5]); memory holds one step (1 MiB) whatever the file's size. Filler chunks are
 * not stored: they are random bytes made when they are sent.
 */
export async function sealFile(source: FileSource, out: SealedOutput, opts: SealOptions = {}): Promise<SealedFile> {
  if (source.size > MAX_FILE_BYTES) throw new ClientError(ClientErrorCode.FILE_TOO_LARGE)
  const blob = blobIdOf(randomBytes(16))
  const secret = generateFileSecret()
  const sealer = await createFileSealer(secret, { blob: blobIdBytes(blob), size: source.size })
  const hasher = contentHasher()
  opts.onStart?.(blob, sealer.chunks, paddedChunkCount(sealer.chunks), secret)
  // Two step buffers take turns: the output may still be writing the one before (SealedOutput.write).
  const steps: Uint8Array[] = []
  // The source's bytes are hashed and sealed before the next read: one buffer for every read.
  const readBuffer = new Uint8Array(SEAL_STEP_CHUNKS * FILE_CHUNK_BYTES)
  for (let first = 0; first < sealer.chunks; first += SEAL_STEP_CHUNKS) {
    if (opts.signal?.aborted) throw new ClientError(ClientErrorCode.UPLOAD_CANCELLED)
    const offset = first * FILE_CHUNK_BYTES
    const want = Math.min(SEAL_STEP_CHUNKS * FILE_CHUNK_BYTES, source.size - offset)
    const bytes = want > 0 ? await source.read(offset, want, readBuffer) : new Uint8Array(0)
    if (bytes.length !== want) throw new ClientError(ClientErrorCode.FILE_UNAVAILABLE, 'the file changed or could not be read while it was being prepared')
    hasher.update(bytes)
    const count = Math.min(SEAL_STEP_CHUNKS, sealer.chunks - first)
    const step = (steps[(first / SEAL_STEP_CHUNKS) & 1] ??= new Uint8Array(SEAL_STEP_CHUNKS * FILE_SEALED_CHUNK_BYTES)).subarray(0, count * FILE_SEALED_CHUNK_BYTES)
    const into = (i: number) => step.subarray(i * FILE_SEALED_CHUNK_BYTES, (i + 1) * FILE_SEALED_CHUNK_BYTES)
    await Promise.all(Array.from({ length: count }, (_, i) => sealer.seal(first + i, bytes.subarray(i * FILE_CHUNK_BYTES, (i + 1) * FILE_CHUNK_BYTES), into(i))))
    await out.write(first, step)
    opts.onProgress?.(offset + want)
  }
  await out.flush()
  return { blob, secret, size: source.size, real: sealer.chunks, chunks: paddedChunkCount(sealer.chunks), sha256: toHex(hasher.digest()) }
}
