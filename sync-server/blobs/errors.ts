import type { ServerResponse } from 'node:http'
import { blobErrorStatus, blobErrorText, type BlobErrorCode, type BlobStatus } from '../../protocol/index.js'
import type { BlobRecord } from './BlobStore.js'

/** [B3] Headers on every blob answer: never cached, never sniffed. */
export const BLOB_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const

/** What an error answer may add to `{ code, message }` (protocol/blobs.ts parseBlobError). */
export interface ErrorExtra {
  readonly serverTime?: number
  readonly stored?: number
}

/**
 * [B12] A coded error: `{ code, message, …extra }` with the status in the code's number and the
 * catalogue's remote text. `closeAfter`: a body was left unread, so the connection closes after
 * the answer instead of being drained for keep-alive.
 */
export function refuse(res: ServerResponse, code: BlobErrorCode, closeAfter: boolean, extra: ErrorExtra = {}, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ code, message: blobErrorText[code].remote, ...extra })
  res.writeHead(blobErrorStatus(code), {
    ...BLOB_HEADERS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(closeAfter ? { connection: 'close' } : {}),
    ...headers,
  })
  res.end(body)
}

export const statusOf = (blob: BlobRecord): BlobStatus => ({ chunks: blob.chunks, stored: blob.stored, complete: blob.stored === blob.chunks })

/** [B4]–[B6] `{ chunks, stored, complete }`. */
export function answerStatus(res: ServerResponse, status: 200 | 201, blob: BlobStatus): void {
  const body = JSON.stringify(blob)
  res.writeHead(status, { ...BLOB_HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
