/**
 * [H1] What the file checks read: random access to a file's bytes, so the same checks run on a
 * browser `File` or `Blob`, a Node file handle (the CLI) or a decrypted download, and read only
 * what they need (the head, a zip's central directory), never the whole file.
 */
export interface FileSource {
  /** Bytes in the file. */
  readonly size: number
  /**
   * Up to `length` bytes from `offset`: fewer only at the end of the file. A source may be read
   * in any order and more than once. With `into` (at least `length` long) a source may read into
   * it and return a view of it (the CLI's reads while sealing: no new buffer per MiB); the
   * result is what counts either way.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>
}

/** A file already in memory (a thumbnail, a test's bytes). */
export function bytesSource(bytes: Uint8Array): FileSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(clamp(offset, bytes.length), clamp(offset + length, bytes.length))),
  }
}

/** A browser `File` or `Blob`: each read is a slice, so a 2 GiB file is never loaded whole. */
export function blobSource(blob: Blob): FileSource {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(clamp(offset, blob.size), clamp(offset + length, blob.size)).arrayBuffer()),
  }
}

const clamp = (n: number, size: number) => Math.max(0, Math.min(n, size))

/** `length` bytes at `offset`, cut to the file; empty past its end. */
export async function readAt(source: FileSource, offset: number, length: number): Promise<Uint8Array> {
  if (offset >= source.size || length <= 0) return new Uint8Array(0)
  return source.read(offset, Math.min(length, source.size - offset))
}
