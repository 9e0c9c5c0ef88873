import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, createFileResealer, type FileResealer, type FileSecret } from '../../../crypto/index.js'
import { blobIdBytes, type BlobId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import type { ChunkTags } from './chunkTags.js'
import { SEAL_STEP_CHUNKS } from './sealFile.js'
import type { FileSource } from './source.js'


/**
 * [A2] Sealed chunks of a file sent from its own path, made again from the file when they are
 * sent (an early upload, a resumed one) instead of kept as a sealed copy: each is let out only
 * when it is the very chunk sealed before (crypto [F3], its tag). A file changed, shortened or
 * moved since is M540; nothing of a second content leaves. A read that fails is thrown as it is.
 */
export class SourceResealer {
  private readonly buffer = new Uint8Array(SEAL_STEP_CHUNKS * FILE_CHUNK_BYTES)

  private constructor(
    private readonly source: FileSource,
    private readonly resealer: FileResealer,
    private readonly tags: ChunkTags,
    private readonly size: number,
  ) {}

  static async open(source: FileSource, secret: FileSecret, blob: BlobId, size: number, tags: ChunkTags): Promise<SourceResealer> {
    if (source.size !== size) throw changed()
    const resealer = await createFileResealer(secret, { blob: blobIdBytes(blob), size })
    if (resealer.chunks !== tags.chunks) throw changed()
    return new SourceResealer(source, resealer, tags, size)
  }

  /** Sealed chunks `start` … `start` + `count` − 1 of the file's own, concatenated (into `into` when given). */
  async read(start: number, count: number, into?: Uint8Array): Promise<Uint8Array> {
    if (start < 0 || count < 1 || start + count > this.resealer.chunks) throw new Error(`chunks ${start}+${count} are not the file's own`)
    const out = into && into.length >= count * FILE_SEALED_CHUNK_BYTES ? into.subarray(0, count * FILE_SEALED_CHUNK_BYTES) : new Uint8Array(count * FILE_SEALED_CHUNK_BYTES)
    for (let first = start; first < start + count; first += SEAL_STEP_CHUNKS) {
      const n = Math.min(SEAL_STEP_CHUNKS, start + count - first)
      const offset = first * FILE_CHUNK_BYTES
      const want = Math.min(n * FILE_CHUNK_BYTES, this.size - offset)
      // A read that fails (EIO, a full descriptor table) may pass: thrown as it is, so the upload waits and tries again.
      const bytes = want > 0 ? await this.source.read(offset, want, this.buffer).catch((err: unknown) => Promise.reject(wiped(out, err))) : new Uint8Array(0)
      if (bytes.length !== want) throw wiped(out, changed())
      const sealed = await Promise.all(Array.from({ length: n }, (_, i) => {
        const slot = out.subarray((first - start + i) * FILE_SEALED_CHUNK_BYTES, (first - start + i + 1) * FILE_SEALED_CHUNK_BYTES)
        return this.resealer.reseal(first + i, bytes.subarray(i * FILE_CHUNK_BYTES, (i + 1) * FILE_CHUNK_BYTES), this.tags.of(first + i), slot)
      }))
      if (sealed.some((s) => !s)) throw wiped(out, changed())
    }
    return out
  }
}

const changed = () => new ClientError(ClientErrorCode.FILE_CHANGED, 'the file no longer holds what was sealed when it was sent')

/** Nothing of a read that failed half-way is left in the caller's buffer. */
function wiped<E>(out: Uint8Array, err: E): E {
  out.fill(0)
  return err
}
