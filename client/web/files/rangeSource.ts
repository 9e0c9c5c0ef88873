import type { FileSource } from '../../core/files/source.js'
import type { FileRef } from '../../core/files/ref.js'
import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'

/** The engine's limit on one ranged read (client/core downloads.ts), and its chunk size. */
const MAX_READ = 8 * 1024 * 1024
const CHUNK = 64 * 1024

/**
 * A received file read by range through the engine (only the chunks that hold the bytes are
 * fetched and opened): what the checks read before a video streams, and what it streams from.
 * Reads are widened to whole chunks and the last one is kept, so the checks' small probes of the
 * same chunk (the head, ISO 9660's three) cost one request.
 */
export function rangeSource(messenger: Messenger, conv: ConvId, ref: FileRef): FileSource {
  let last: { start: number; bytes: Uint8Array } | undefined
  return {
    size: ref.size,
    async read(offset, length) {
      const end = Math.min(ref.size, offset + length)
      if (offset >= end) return new Uint8Array(0)
      if (last && offset >= last.start && end <= last.start + last.bytes.length) return last.bytes.subarray(offset - last.start, end - last.start)
      const from = Math.floor(offset / CHUNK) * CHUNK
      const to = Math.min(ref.size, Math.ceil(end / CHUNK) * CHUNK)
      const bytes = to - from <= MAX_READ ? await messenger.readFileRange(conv, ref, from, to) : new Uint8Array(to - from)
      if (to - from > MAX_READ) {
        for (let at = from; at < to; at += MAX_READ) bytes.set(await messenger.readFileRange(conv, ref, at, Math.min(to, at + MAX_READ)), at - from)
      }
      last = { start: from, bytes }
      return bytes.subarray(offset - from, end - from)
    },
  }
}
