import type { FileHandle } from 'node:fs/promises'

/**
 * [B7] Bytes `start` … `end` of an open file as pieces of at most `pieceBytes`, read one piece
 * ahead into two buffers that take turns: a piece's bytes are valid until the next one is asked
 * for (BlobStore.read). No new buffer per piece: a GiB download otherwise costs the server a
 * garbage collection every few MiB. The handle is closed when the pieces end or the reader stops.
 */
export async function* fileRange(handle: FileHandle, start: number, end: number, pieceBytes: number): AsyncGenerator<Uint8Array> {
  const buffers: Buffer[] = []
  const readInto = async (turn: number, at: number): Promise<Uint8Array> => {
    const buffer = (buffers[turn] ??= Buffer.allocUnsafe(Math.min(pieceBytes, end - start)))
    const want = Math.min(buffer.length, end - at)
    let got = 0
    while (got < want) {
      const { bytesRead } = await handle.read(buffer, got, want - got, at + got)
      if (bytesRead === 0) throw new Error('the blob file is shorter than its record')
      got += bytesRead
    }
    return buffer.subarray(0, want)
  }
  let ahead: Promise<Uint8Array> | undefined
  try {
    let at = start
    let turn = 0
    ahead = at < end ? readInto(turn, at) : undefined
    while (ahead) {
      const piece = await ahead
      at += piece.length
      turn ^= 1
      ahead = at < end ? readInto(turn, at) : undefined
      yield piece
    }
  } finally {
    // A read still in flight (the reader stopped early) finishes before the handle closes.
    await ahead?.catch(() => undefined)
    await handle.close()
  }
}
