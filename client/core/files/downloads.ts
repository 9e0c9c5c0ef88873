import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, backgroundContentHasher, createFileOpener, fileChunkCount, toHex, type FileOpener } from '../../../crypto/index.js'
import { blobIdBytes, type ConvId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { BlobError, type BlobAccess, type BlobClient } from './blobClient.js'
import type { FileRef } from './ref.js'
import type { FileSink, FileSource } from './source.js'

export interface DownloadDeps {
  readonly client: BlobClient | undefined
  readonly access: (conv: ConvId) => BlobAccess | undefined
}

export interface DownloadOptions {
  readonly signal?: AbortSignal
  readonly onProgress?: (bytes: number) => void
  /** Attempts after a cut link before giving up (each resumes at the first chunk not yet written). */
  readonly retries?: number
  readonly backoffMs?: number
}

const IN_FLIGHT = 8

/** At most this much content per ranged read (streaming playback asks for small windows). */
export const MAX_RANGE_BYTES = 8 * 1024 * 1024

const opener = (ref: FileRef) => createFileOpener(ref.secret, { blob: blobIdBytes(ref.blob), size: ref.size })

/**
 * [A3] Fetches a file's sealed chunks as one stream, opens each as it arrives and writes its
 * content to the sink: memory holds one chunk whatever the file's size. A cut link resumes at
 * the first chunk not yet written (a ranged request); a chunk that does not open, or content
 * whose SHA-256 is not the one the message named, aborts the sink (nothing of it remains) with
 * M533. Filler chunks (crypto [F4]) are never fetched.
 */
export async function downloadFile(deps: DownloadDeps, conv: ConvId, ref: FileRef, sink: FileSink, opts: DownloadOptions = {}): Promise<void> {
  const open = await opener(ref)
  const real = fileChunkCount(ref.size)
  // [F5a] Hashed beside the opening (a worker in Node).
  const hasher = backgroundContentHasher(ref.size)
  let next = 0
  let failures = 0
  try {
    while (next < real) {
      if (opts.signal?.aborted) throw new ClientError(ClientErrorCode.UPLOAD_CANCELLED, 'download cancelled')
      const { client } = deps
      const access = deps.access(conv)
      if (!client || !access) throw new ClientError(ClientErrorCode.FILE_ACCESS)
      try {
        const stream = await client.read(access, ref.blob, next * FILE_SEALED_CHUNK_BYTES, real * FILE_SEALED_CHUNK_BYTES, opts.signal)
        // Up to IN_FLIGHT chunks are opened at once (WebCrypto works off the main thread); content
        // is hashed and written strictly in order, and only what opened is ever written.
        const opening: Promise<Uint8Array>[] = []
        const settle = async () => {
          const content = await opening.shift()!
          await Promise.all([hasher.update(content), sink.write(content)])
          next++
          failures = 0
          opts.onProgress?.(Math.min(ref.size, next * FILE_CHUNK_BYTES))
        }
        try {
          let index = next
          for await (const sealed of chunksOf(stream, IN_FLIGHT + 1)) {
            const p = openChunk(open, index++, sealed)
            p.catch(() => undefined)
            opening.push(p)
            if (opening.length >= IN_FLIGHT) await settle()
            if (index === real) break
          }
          while (opening.length) await settle()
        } finally {
          opening.length = 0
        }
        if (next < real) throw new BlobError(ClientErrorCode.FILE_UNAVAILABLE, 'the download stopped early', true)
      } catch (err) {
        const retry = err instanceof BlobError ? err.retry : !(err instanceof ClientError)
        if (!retry || opts.signal?.aborted || ++failures > (opts.retries ?? 8)) throw err
        await new Promise((r) => setTimeout(r, Math.min(10_000, (opts.backoffMs ?? 250) * 2 ** (failures - 1))))
      }
    }
    if (toHex(await hasher.digest()) !== ref.sha256) throw new ClientError(ClientErrorCode.FILE_DAMAGED, 'its content is not the one the message named')
    await sink.finish()
  } catch (err) {
    await sink.abort().catch(() => undefined)
    throw err
  } finally {
    hasher.close()
  }
}

/**
 * [A3] Content bytes `start` to `end` (exclusive) of a file, for streaming playback: only the
 * chunks that hold them are fetched and opened.
 */
export async function readFileRange(deps: DownloadDeps, conv: ConvId, ref: FileRef, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
  end = Math.min(end, ref.size)
  if (!Number.isSafeInteger(start) || start < 0 || start >= end || end - start > MAX_RANGE_BYTES) throw new ClientError(ClientErrorCode.FILE_UNKNOWN, `range ${start}-${end} of ${ref.size}`)
  const { client } = deps
  const access = deps.access(conv)
  if (!client || !access) throw new ClientError(ClientErrorCode.FILE_ACCESS)
  const first = Math.floor(start / FILE_CHUNK_BYTES)
  const last = Math.floor((end - 1) / FILE_CHUNK_BYTES)
  const open = await opener(ref)
  const out = new Uint8Array(end - start)
  let index = first
  const stream = await client.read(access, ref.blob, first * FILE_SEALED_CHUNK_BYTES, (last + 1) * FILE_SEALED_CHUNK_BYTES, signal)
  for await (const sealed of chunksOf(stream)) {
    const content = await openChunk(open, index, sealed)
    const at = index * FILE_CHUNK_BYTES
    const from = Math.max(start, at)
    const to = Math.min(end, at + content.length)
    if (to > from) out.set(content.subarray(from - at, to - at), from - start)
    if (++index > last) break
  }
  if (index <= last) throw new BlobError(ClientErrorCode.FILE_UNAVAILABLE, 'the read stopped early', true)
  return out
}

/**
 * [M44] A file of a message, as a source to read again (forwarding seals it anew for another
 * conversation): each read fetches and opens only the chunks that hold it (ranged reads of at most
 * MAX_RANGE_BYTES each). Needs the link; a read that cannot be made rejects (M534).
 */
export function storedFileSource(deps: DownloadDeps, conv: ConvId, ref: FileRef): FileSource {
  return {
    size: ref.size,
    async read(offset, length) {
      const start = Math.max(0, Math.min(offset, ref.size))
      const end = Math.max(start, Math.min(offset + length, ref.size))
      if (end === start) return new Uint8Array(0)
      if (end - start <= MAX_RANGE_BYTES) return readFileRange(deps, conv, ref, start, end)
      const out = new Uint8Array(end - start)
      for (let at = start; at < end; at += MAX_RANGE_BYTES) out.set(await readFileRange(deps, conv, ref, at, Math.min(end, at + MAX_RANGE_BYTES)), at - start)
      return out
    },
  }
}

async function openChunk(open: FileOpener, index: number, sealed: Uint8Array): Promise<Uint8Array> {
  const r = await open.open(index, sealed)
  if (!r.ok) throw new ClientError(ClientErrorCode.FILE_DAMAGED, `${r.code} ${r.detail ?? ''}`.trim())
  return r.value
}

/**
 * Cuts a byte stream into sealed chunks; memory holds `slots` chunks and the network reads of the
 * chunks in flight. A chunk split across network reads is gathered into one of `slots` buffers
 * taken in turn (not a fresh one per chunk: a GiB is 16,384 chunks): the caller holds at most
 * `slots` − 1 of the chunks it was given when it asks for the next.
 */
async function* chunksOf(stream: ReadableStream<Uint8Array>, slots = 2): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  const ring = Array.from({ length: slots }, () => new Uint8Array(FILE_SEALED_CHUNK_BYTES))
  let turn = 0
  let buf = ring[0]!
  let fill = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      let at = 0
      while (at < value.length) {
        // Whole chunks of a network read are handed on as they are (each read is a buffer of its
        // own); only a chunk split across reads is gathered and copied.
        if (fill === 0 && value.length - at >= FILE_SEALED_CHUNK_BYTES) {
          yield value.subarray(at, at + FILE_SEALED_CHUNK_BYTES)
          at += FILE_SEALED_CHUNK_BYTES
          continue
        }
        const n = Math.min(value.length - at, FILE_SEALED_CHUNK_BYTES - fill)
        buf.set(value.subarray(at, at + n), fill)
        fill += n
        at += n
        if (fill === FILE_SEALED_CHUNK_BYTES) {
          yield buf
          turn = (turn + 1) % slots
          buf = ring[turn]!
          fill = 0
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}
