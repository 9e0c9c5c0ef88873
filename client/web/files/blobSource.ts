import type { FileSource } from '../../core/files/source.js'

/**
 * [W4] A browser File or Blob as a {@link FileSource}: each read is one slice, so a 2 GiB video
 * is never loaded whole (sealing reads 1 MiB steps, the checks a few small pieces).
 */
export function blobSource(blob: Blob): FileSource {
  return {
    size: blob.size,
    async read(offset, length) {
      const from = Math.max(0, Math.min(offset, blob.size))
      const to = Math.max(from, Math.min(offset + length, blob.size))
      return new Uint8Array(await blob.slice(from, to).arrayBuffer())
    },
  }
}
