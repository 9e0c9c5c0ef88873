import * as z from 'zod'
import { FILE_SEALED_CHUNK_BYTES, FILE_TAG_BYTES } from '../../../crypto/index.js'
import type { Key } from '../storage/LocalStore.js'
import type { SealedOutput } from './sealFile.js'

/**
 * [A2] The tag of every sealed chunk of a file sent from its own path (the CLI): instead of a
 * sealed copy, what sealing it again is checked against (crypto [F3]), 16 bytes a chunk (256 KiB
 * for a GiB). Kept in the local store beside the upload's record, written in the same call.
 */
export class ChunkTags implements SealedOutput {
  readonly bytes: Uint8Array

  constructor(readonly chunks: number, bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(chunks * FILE_TAG_BYTES)
    if (this.bytes.length !== chunks * FILE_TAG_BYTES) throw new Error('chunk tags of another count')
  }

  /** Takes the tags out of sealed chunks `index`, `index` + 1, … (copied at once: the step buffer is reused). */
  async write(index: number, sealed: Uint8Array): Promise<void> {
    const count = sealed.length / FILE_SEALED_CHUNK_BYTES
    for (let i = 0; i < count; i++) {
      const end = (i + 1) * FILE_SEALED_CHUNK_BYTES
      this.bytes.set(sealed.subarray(end - FILE_TAG_BYTES, end), (index + i) * FILE_TAG_BYTES)
    }
  }

  async flush(): Promise<void> {}

  of(index: number): Uint8Array {
    return this.bytes.subarray(index * FILE_TAG_BYTES, (index + 1) * FILE_TAG_BYTES)
  }
}

export const TAGS_KEY = 'upload-tags'
/** `upload-tags/<conv>/<tag>/<file index>`: keyed by its conversation like the record, so a wipe takes it too ([M30]). */
export const tagsKey = (conv: string, tag: string, file: number): Key => [TAGS_KEY, conv, tag, String(file)]
export const tagsSchema = z.object({ v: z.literal(1), tags: z.instanceof(Uint8Array) })
