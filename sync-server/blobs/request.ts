import type { IncomingMessage } from 'node:http'
import { BLOB_CHUNK_BYTES, BLOB_MAX_CHUNKS, BLOB_MAX_CHUNKS_PER_PUT, BlobErrorCode, paddedChunkCount, parseBlobId, type BlobId } from '../../protocol/index.js'

/** Every path the blob endpoints answer, valid or not: `/v1/blobs` and everything below it. */
export const isBlobPath = (url: string | undefined): boolean =>
  url !== undefined && (url === '/v1/blobs' || url.startsWith('/v1/blobs/') || url.startsWith('/v1/blobs?'))

/** What a request asks for, once its target, method and (for a PUT) declared length have the right shape. */
export type BlobRoute =
  | { readonly op: 'create'; readonly id: BlobId; readonly chunks: number }
  | { readonly op: 'status'; readonly id: BlobId }
  | { readonly op: 'remove'; readonly id: BlobId }
  | { readonly op: 'put'; readonly id: BlobId; readonly start: number; readonly count: number }
  | { readonly op: 'data'; readonly id: BlobId; readonly head: boolean }
  | { readonly op: 'usage' }

const ID = '([A-Za-z0-9_-]{22})'
const NUMBER = '(0|[1-9][0-9]{0,8})'
const TARGETS = {
  blob: new RegExp(`^/v1/blobs/${ID}$`),
  usage: /^\/v1\/blobs\/usage$/,
  create: new RegExp(`^/v1/blobs/${ID}\\?chunks=${NUMBER}$`),
  put: new RegExp(`^/v1/blobs/${ID}/chunks/${NUMBER}$`),
  data: new RegExp(`^/v1/blobs/${ID}/data$`),
}

/**
 * [B3] Inbound requests are untrusted peer input. The raw target must be exactly one of the
 * paths of protocol/blobs.ts `blobPaths` (no percent-encoding, no dot segments, no other query:
 * one spelling per request, which is also what the proof signs), with the method that goes
 * with it. Judged before any header but the declared length is read, and before any byte of a body.
 */
export function parseBlobRequest(req: IncomingMessage): BlobRoute | BlobErrorCode {
  const url = req.url ?? ''
  const method = req.method
  let m: RegExpExecArray | null
  if (TARGETS.usage.test(url) && method === 'GET') return { op: 'usage' }
  if ((m = TARGETS.blob.exec(url)) && (method === 'GET' || method === 'DELETE')) return withId(m[1], (id) => (method === 'GET' ? { op: 'status', id } : { op: 'remove', id }))
  if ((m = TARGETS.data.exec(url)) && (method === 'GET' || method === 'HEAD')) return withId(m[1], (id) => ({ op: 'data', id, head: method === 'HEAD' }))
  if ((m = TARGETS.create.exec(url)) && method === 'POST') {
    const chunks = Number(m[2])
    // [B2] The server only ever learns padded sizes; [B1] and never more than the limit.
    if (chunks > BLOB_MAX_CHUNKS) return BlobErrorCode.TOO_LARGE
    if (chunks < 1 || paddedChunkCount(chunks) !== chunks) return BlobErrorCode.NOT_PADDED
    return withId(m[1], (id) => ({ op: 'create', id, chunks }))
  }
  if ((m = TARGETS.put.exec(url)) && method === 'PUT') {
    const count = declaredChunks(req)
    if (typeof count === 'string') return count
    const start = Number(m[2])
    return withId(m[1], (id) => ({ op: 'put', id, start, count }))
  }
  return BlobErrorCode.BAD_REQUEST
}

function withId(text: string | undefined, route: (id: BlobId) => BlobRoute): BlobRoute | BlobErrorCode {
  const id = parseBlobId(text)
  return id ? route(id) : BlobErrorCode.BAD_REQUEST
}

/** [B5] A PUT body: an exact content-length of 1 to 128 whole sealed chunks, never chunked transfer. */
function declaredChunks(req: IncomingMessage): number | BlobErrorCode {
  const declared = req.headers['content-length']
  if (req.headers['transfer-encoding'] !== undefined || declared === undefined || !/^[0-9]{1,16}$/.test(declared)) return BlobErrorCode.BAD_LENGTH
  const bytes = Number(declared)
  if (bytes > BLOB_MAX_CHUNKS_PER_PUT * BLOB_CHUNK_BYTES) return BlobErrorCode.TOO_LARGE
  if (bytes === 0 || bytes % BLOB_CHUNK_BYTES !== 0) return BlobErrorCode.BAD_LENGTH
  return bytes / BLOB_CHUNK_BYTES
}
