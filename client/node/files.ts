import { open, rename, rm, stat } from 'node:fs/promises'
import type { FileSink, FileSource } from '../core/files/source.js'
import { syncBehind } from './syncBehind.js'

/** A file on disk read at offsets through one handle; `close` when done. */
export async function nodeFileSource(path: string): Promise<FileSource & { close(): Promise<void> }> {
  const h = await open(path, 'r')
  const { size } = await h.stat()
  return {
    size,
    async read(offset, length, into) {
      // Not zeroed first: only the bytes read are handed on.
      const want = Math.max(0, Math.min(length, size - offset))
      const out = into && into.length >= want ? into.subarray(0, want) : Buffer.allocUnsafe(want)
      const { bytesRead } = await h.read(out, 0, out.length, offset)
      return out.subarray(0, bytesRead)
    },
    close: () => h.close(),
  }
}

const RUN_BYTES = 1024 * 1024

/**
 * A download written to `<path>.part` and renamed to `path` only when finished (after the
 * content hash matched and the checks let it through); aborted: the part file is removed.
 */
export async function nodeFileSink(path: string): Promise<FileSink & { partPath: string; keep(): Promise<void> }> {
  const partPath = `${path}.part`
  const h = await open(partPath, 'w', 0o600)
  const durable = syncBehind(h)
  let closed = false
  const closeOnce = async () => {
    if (closed) return
    closed = true
    await h.close()
  }
  // Content arrives 64 KiB at a time: written in 1 MiB runs (one call each), not one call per
  // chunk. Two run buffers: one fills while the other is written, so the download never waits
  // for the disk unless the disk falls a whole run behind (one write in flight, in order).
  const runs = [new Uint8Array(RUN_BYTES), new Uint8Array(RUN_BYTES)]
  let current = 0
  let held = 0
  let writing: Promise<void> = Promise.resolve()
  const drain = async () => {
    const run = runs[current]!
    const length = held
    await writing
    writing = (async () => {
      let at = 0
      while (at < length) at += (await h.write(run, at, length - at)).bytesWritten
      await durable.wrote(length)
    })()
    // Awaited by the next drain or by finish; handled here so a failure waits for them.
    writing.catch(() => undefined)
    current ^= 1
    held = 0
  }
  return {
    partPath,
    async write(bytes) {
      let at = 0
      while (at < bytes.length) {
        const n = Math.min(bytes.length - at, RUN_BYTES - held)
        runs[current]!.set(bytes.subarray(at, at + n), held)
        held += n
        at += n
        if (held === RUN_BYTES) await drain()
      }
    },
    async finish() {
      await drain()
      await writing
      await durable.sync()
      await closeOnce()
    },
    async abort() {
      held = 0
      await writing.catch(() => undefined)
      await closeOnce().catch(() => undefined)
      await rm(partPath, { force: true })
    },
    /** The finished part file becomes the file the person asked for. */
    async keep() {
      await closeOnce()
      await rename(partPath, path)
    },
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}
