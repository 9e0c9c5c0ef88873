import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'
import { BLOB_MAX_CHUNKS_PER_PUT, type BlobId } from '../../../protocol/index.js'
import type { BlobAccess, BlobClient } from './blobClient.js'

/** PUTs in flight at once. */
const DEPTH = 2
/** A PUT slower than this: the link does not keep pace with sealing (`readPast` stops holding it back). */
const SLOW_PUT_MS = 2_000

/**
 * [A2] Sends a file's sealed chunks while the rest of it is still being sealed, so a large file
 * crosses the link during its encryption instead of after it. Two PUTs in flight, each of whole
 * chunks already in the spool; when sealing ends (`end`) it sends the rest of the file's own
 * chunks, and the file outbox goes on from what the server holds (its status: the filler, or
 * whatever an interruption left) as after any interruption. Stopped (`stop`), it ends with the
 * PUTs in flight.
 * Best effort: any failure (offline, refused) only ends it early; nothing here is recorded.
 * If sealing fails or the checks refuse the file, `cancel` stops it and deletes the blob.
 */
export class EarlyUpload {
  private sealed = 0
  /** Sealing is over: what it sealed goes out (the last PUT shorter), then it stops. */
  private sealingDone = false
  /** Stopped or cancelled: no PUT starts any more. */
  private halted = false
  private wake: (() => void) | undefined
  private readonly abort = new AbortController()
  /** The next chunk to go into a PUT body. */
  private next = 0
  /** The link keeps pace: no PUT took SLOW_PUT_MS or more, and it has not stopped. */
  private pacing = true
  private readonly readers: { index: number; wake: () => void }[] = []
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

  /**
   * Sealing ended (successfully: every chunk is in the spool): the rest of the file's chunks go
   * out too, in PUTs like the others, so the outbox takes over with nothing left to send but
   * the filler. Handing over at the end of sealing instead stalled the link for a status and a
   * first lone PUT just when the most was still to be sent.
   */
  end(): void {
    this.sealed = this.real
    this.sealingDone = true
    this.poke()
  }

  /**
   * Resolves once every chunk before `index` has gone into a PUT body, or at once when the link
   * does not keep pace (a PUT took 2 s or more, or this wait would) or the upload has ended:
   * what sealing waits on before it drops a sealed chunk from memory (sealedWindow.ts).
   */
  readPast(index: number): Promise<void> {
    if (!this.pacing || this.next >= index) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pacing = false
        this.release(true)
      }, SLOW_PUT_MS)
      this.readers.push({ index, wake: () => (clearTimeout(timer), resolve()) })
    })
  }

  private release(all = false): void {
    for (let i = this.readers.length - 1; i >= 0; i--) {
      const r = this.readers[i]!
      if (all || this.next >= r.index) {
        this.readers.splice(i, 1)
        r.wake()
      }
    }
  }

  /** Stops now (the app closes): the PUT in flight is cut, what the server holds of it stays. */
  async stop(): Promise<void> {
    this.halted = true
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
    try {
      await this.send()
    } finally {
      this.pacing = false
      this.release(true)
    }
  }

  private async send(): Promise<void> {
    const stored = (await this.client.create(this.access, this.blob, this.chunks)).stored
    // Two PUTs in flight (the server appends them in turn, protocol [B5]): one crosses the link
    // while the server makes the other durable. Each has its body buffer; buffer k is read into
    // again for PUT k + 2, which starts only once PUT k is answered.
    const buffers: Uint8Array[] = []
    const inflight: { end: number; sharing: number; done: Promise<{ stored: number; ms: number }> }[] = []
    this.next = stored
    let turn = 0
    try {
      for (;;) {
        // Full PUTs' worth are ready: send them; otherwise wait for sealing to go on.
        while (!this.halted && inflight.length < DEPTH && (this.sealed - this.next >= this.perPut || (this.sealingDone && this.next < this.sealed))) {
          const start = this.next
          const count = Math.min(this.perPut, this.sealed - start)
          const buffer = (buffers[turn] ??= new Uint8Array(this.perPut * FILE_SEALED_CHUNK_BYTES))
          turn = (turn + 1) % DEPTH
          const body = await this.body(start, count, buffer.subarray(0, count * FILE_SEALED_CHUNK_BYTES))
          const t0 = Date.now()
          const done = this.client.put(this.access, this.blob, start, body, this.abort.signal).then((s) => ({ stored: s.stored, ms: Date.now() - t0 }))
          done.catch(() => undefined)
          // A PUT shares the link with those in flight before it: its time is judged against as many slow PUTs.
          inflight.push({ end: start + count, sharing: inflight.length + 1, done })
          this.next = start + count
          this.release()
        }
        const first = inflight.shift()
        if (!first) {
          if (this.halted || this.sealingDone) return
          await new Promise<void>((resolve) => (this.wake = resolve))
          continue
        }
        // Anything short of what was sent: the outbox goes on from the server's count.
        const { stored, ms } = await first.done
        if (ms >= SLOW_PUT_MS * first.sharing) (this.pacing = false), this.release(true)
        this.onStored(Math.min(stored, this.real))
        if (stored < first.end) return
      }
    } finally {
      await Promise.allSettled(inflight.map((p) => p.done))
    }
  }
}
