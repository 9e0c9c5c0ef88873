export { bytesSource, blobSource, type FileSource } from './check/source.js'

/** Where a download's content goes, in order: a file (CLI), the Origin Private File System (browser), memory (tests). */
export interface FileSink {
  write(bytes: Uint8Array): Promise<void>
  /** All content written: make it durable and visible under its final name. */
  finish(): Promise<void>
  /** Given up: nothing of it may remain. */
  abort(): Promise<void>
}

export function memorySink(): FileSink & { bytes(): Uint8Array; finished: boolean } {
  const parts: Uint8Array[] = []
  const sink = {
    finished: false,
    write: async (b: Uint8Array) => void parts.push(Uint8Array.from(b)),
    finish: async () => void (sink.finished = true),
    abort: async () => void (parts.length = 0),
    bytes: () => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
      let at = 0
      for (const p of parts) out.set(p, (at += p.length) - p.length)
      return out
    },
  }
  return sink
}
