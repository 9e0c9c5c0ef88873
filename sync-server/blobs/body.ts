import type { IncomingMessage } from 'node:http'
import { BLOB_CHUNK_BYTES } from '../../protocol/index.js'

/** Chunks per slab the body is cut into: 1 MiB. */
export const SLAB_CHUNKS = 16

/** Slabs that take turns (the store may still be writing the one before the one it reads). */
const SLABS = 3

/** Why a body stopped: read to its end, cut by the client, or silent for too long. */
export type BodyEnd = 'end' | 'aborted' | 'stalled'

export interface ChunkedBody {
  /** The body's whole sealed chunks, one at a time, read only as they are asked for. */
  readonly chunks: AsyncIterable<Uint8Array>
  /** Bytes received so far (a partial last chunk included). */
  readonly received: number
  /** How the body ended; undefined while it is still being read, or when reading stopped early. */
  readonly end: BodyEnd | undefined
}

/**
 * [B5] A PUT body as whole chunks: bytes are gathered into one chunk-sized buffer and handed on
 * when it is full, so at most three slabs (16 chunks each) of a body are held here (plus what the
 * socket has in hand). Three slabs take turns: a chunk's bytes stay valid while the store asks
 * for the next 2 × SLAB_CHUNKS chunks (a store writes one slab while the next is read), and are
 * overwritten after that (BlobStore: a store that keeps
 * a chunk longer copies it). Reused, not allocated per MiB: a GiB-sized upload otherwise costs
 * the server a garbage collection every few MiB and a page fault on every fresh page.
 * The next bytes are read only when the store asks for the next chunk, so a slow disk slows the
 * sender (TCP). A body that sends nothing for `idleMs` while it is waited for ends `stalled`; a
 * cut connection ends `aborted`. Either way a partial last chunk is dropped: the chunks handed
 * on before stay (BlobStore invariant 3). Never throws.
 */
export function chunkedBody(req: IncomingMessage, idleMs: number): ChunkedBody {
  const state: { received: number; end: BodyEnd | undefined } = { received: 0, end: undefined }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    // Not destroyed when the store stops asking: the answer still goes out on this connection.
    const source = req.iterator({ destroyOnReturn: false })
    // Chunks are cut from slabs of SLAB_CHUNKS: a store can write neighbouring chunks of one
    // slab with one call (diskBlobs.ts). Slab k + 3 reuses slab k's memory.
    const slabs = [Buffer.allocUnsafe(SLAB_CHUNKS * BLOB_CHUNK_BYTES)]
    let which = 0
    let slab = slabs[0]!
    let base = 0
    let fill = 0
    for (;;) {
      let timer: NodeJS.Timeout | undefined
      const stall = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), idleMs)))
      let next: IteratorResult<Buffer> | 'stalled'
      try {
        next = await Promise.race([source.next() as Promise<IteratorResult<Buffer>>, stall])
      } catch {
        state.end = 'aborted'
        return
      } finally {
        clearTimeout(timer)
      }
      if (next === 'stalled') return void (state.end = 'stalled')
      if (next.done) return void (state.end = 'end')
      let piece = next.value
      state.received += piece.length
      while (piece.length > 0) {
        const n = Math.min(BLOB_CHUNK_BYTES - fill, piece.length)
        piece.copy(slab, base + fill, 0, n)
        fill += n
        piece = piece.subarray(n)
        if (fill === BLOB_CHUNK_BYTES) {
          yield slab.subarray(base, base + BLOB_CHUNK_BYTES)
          fill = 0
          base += BLOB_CHUNK_BYTES
          if (base === slab.length) {
            which = (which + 1) % SLABS
            slab = slabs[which] ??= Buffer.allocUnsafe(SLAB_CHUNKS * BLOB_CHUNK_BYTES)
            base = 0
          }
        }
      }
    }
  }
  return {
    chunks: chunks(),
    get received() {
      return state.received
    },
    get end() {
      return state.end
    },
  }
}
