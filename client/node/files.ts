import { open, rename, rm, stat } from 'node:fs/promises'
import type { FileSink, FileSource } from '../core/files/source.js'

/** A file on disk read at offsets through one handle; `close` when done. */
export async function nodeFileSource(path: string): Promise<FileSource & { close(): Promise<void> }> {
  const h = await open(path, 'r')
  const { size } = await h.stat()
  return {
    size,
    async read(offset, length) {
      const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)))
      const { bytesRead } = await h.read(out, 0, out.length, offset)
      return out.subarray(0, bytesRead)
    },
    close: () => h.close(),
  }
}

/**
 * A download written to `<path>.part` and renamed to `path` only when finished (after the
 * content hash matched and the checks let it through); aborted: the part file is removed.
 */
export async function nodeFileSink(path: string): Promise<FileSink & { partPath: string; keep(): Promise<void> }> {
  const partPath = `${path}.part`
  const h = await open(partPath, 'w', 0o600)
  let closed = false
  const closeOnce = async () => {
    if (closed) return
    closed = true
    await h.close()
  }
  // Content arrives 64 KiB at a time: written in 1 MiB runs (one call each), not one call per chunk.
  const run = new Uint8Array(1024 * 1024)
  let held = 0
  const drain = async () => {
    let at = 0
    while (at < held) at += (await h.write(run, at, held - at)).bytesWritten
    held = 0
  }
  return {
    partPath,
    async write(bytes) {
      let at = 0
      while (at < bytes.length) {
        const n = Math.min(bytes.length - at, run.length - held)
        run.set(bytes.subarray(at, at + n), held)
        held += n
        at += n
        if (held === run.length) await drain()
      }
    },
    async finish() {
      await drain()
      await h.sync()
      await closeOnce()
    },
    async abort() {
      held = 0
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
