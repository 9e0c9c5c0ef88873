import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'
import { BLOB_MAX_CHUNKS_PER_PUT, type BlobId } from '../../../protocol/index.js'
import type { BlobAccess, BlobClient } from './blobClient.js'

/** PUTs in flight at once. */
const DEPTH = 2

/**
 * [A2] Sends a file's sealed chunks while the rest of it is still being sealed, so a large file
 * crosses the link during its encryption instead of after it. Two PUTs in flight, each of whole
 * chunks already in the spool; it stops after the PUTs in flight when sealing ends (`end`), and
 * the file outbox goes on from what the server holds (its status) as after any interruption.
 * Best effort: any failure (offline, refused) only ends it early; nothing here is recorded.
 * If sealing fails or the checks refuse the file, `cancel` stops it and deletes the blob.
 */
export class EarlyUpload {
  private sealed = 0
  private ended = false
  private wake: (() => void) | undefined
  private readonly abort = new AbortController()
  /** Settles (never rejects) when the last PUT is answered. */
  readonly finished: Promise<void>

  constructor(
    private readonly client: BlobClient,
    private readonly access: BlobAccess,
    private readonly blob: BlobId,
    /** The file's own chunks and the padded count the blob is created with. */
    private readonly real: number,
    private readonly chunks: number,
    /** Reads sealed chunks, into `into` where it can (one PUT at a time: one buffer serves them all). */
    private readonly body: (start: number, count: number, into: Uint8Array) => Promise<Uint8Array>,
    private readonly perPut = BLOB_MAX_CHUNKS_PER_PUT,
    /** The chunks the server holds, after each answered PUT (the upload's progress while it is prepared). */
    private readonly onStored: (chunks: number) => void = () => undefined,
  ) {
    this.finished = this.run().catch(() => undefined)
  }

  /** Content bytes sealed into the spool so far. */
  advance(bytes: number): void {
    this.sealed = Math.min(this.real, Math.floor(bytes / FILE_CHUNK_BYTES))
    this.poke()
  }

  /** Sealing ended: the PUT in flight finishes, no other starts. */
  end(): void {
    this.ended = true
    this.poke()
  }

  /** Stops now (the app closes): the PUT in flight is cut, what the server holds of it stays. */
  async stop(): Promise<void> {
    this.ended = true
    this.abort.abort()
    this.poke()
    await this.finished
  }

  /** The file will not be sent: stop now and delete what the server holds of it. */
  async cancel(): Promise<void> {
    await this.stop()
    await this.client.remove(this.access, this.blob).catch(() => undefined)
  }

  private poke(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private async run(): Promise<void> {
    const stored = (await this.client.create(this.access, this.blob, this.chunks)).stored
    // Two PUTs in flight (the server appends them in turn, protocol [B5]): one crosses the link
    // while the server makes the other durable. Each has its body buffer; buffer k is read into
    // again for PUT k + 2, which starts only once PUT k is answered.
    const buffers: Uint8Array[] = []
    const inflight: { end: number; done: Promise<{ stored: number }> }[] = []
    let next = stored
    let turn = 0
    try {
      for (;;) {
        // Full PUTs' worth are ready: send them; otherwise wait for sealing to go on.
        while (!this.ended && inflight.length < DEPTH && this.sealed - next >= this.perPut) {
          const buffer = (buffers[turn] ??= new Uint8Array(this.perPut * FILE_SEALED_CHUNK_BYTES))
          turn = (turn + 1) % DEPTH
          const body = await this.body(next, this.perPut, buffer)
          const done = this.client.put(this.access, this.blob, next, body, this.abort.signal)
          done.catch(() => undefined)
          inflight.push({ end: next + this.perPut, done })
          next += this.perPut
        }
        const first = inflight.shift()
        if (!first) {
          if (this.ended) return
          await new Promise<void>((resolve) => (this.wake = resolve))
          continue
        }
        // Anything short of what was sent: the outbox goes on from the server's count.
        const { stored } = await first.done
        this.onStored(Math.min(stored, this.real))
        if (stored < first.end) return
      }
    } finally {
      await Promise.allSettled(inflight.map((p) => p.done))
    }
  }
}
