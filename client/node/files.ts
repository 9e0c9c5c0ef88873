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
  return {
    partPath,
    async write(bytes) {
      let at = 0
      while (at < bytes.length) at += (await h.write(bytes, at, bytes.length - at)).bytesWritten
    },
    async finish() {
      await h.sync()
      await closeOnce()
    },
    async abort() {
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
