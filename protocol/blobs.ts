import * as z from 'zod'
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js'

/**
 * [B1]–[B11] The blob store's wire contract (protocol/SPEC.md "Blobs"): sealed file chunks over
 * plain HTTP beside `/sync`. Types and pure functions only; the server and the client both parse
 * with these. Inbound headers, targets and bodies are untrusted peer input on either side.
 */

/** [B1] One sealed chunk: 64 KiB of content and a 16-byte tag (crypto FILE_SEALED_CHUNK_BYTES). */
export const BLOB_CHUNK_BYTES = 65_552
/** [B1] Padded chunks per blob: 2 GiB of content is 32,768 chunks, and a little more pads to 34,816. */
export const BLOB_MAX_CHUNKS = 40_960
/** [B5] Chunks in one PUT body: 16 MiB of content (64 durable commits per GiB). */
export const BLOB_MAX_CHUNKS_PER_PUT = 256
/** [B3] How far a request's signed time may be from the server's clock, either way. */
export const BLOB_CLOCK_WINDOW_MS = 300_000

declare const brand: unique symbol
/** [B1] A blob id: 16 random bytes, as canonical unpadded base64url (22 characters). */
export type BlobId = string & { readonly [brand]: 'BlobId' }

const ID16 = /^[A-Za-z0-9_-]{22}$/

/** One spelling per id: the 22 characters must be what the 16 bytes encode to (no stray low bits). */
export function parseBlobId(s: unknown): BlobId | undefined {
  if (typeof s !== 'string' || !ID16.test(s)) return undefined
  const bytes = fromBase64Url(s)
  return bytes && bytes.length === 16 && toBase64Url(bytes) === s ? (s as BlobId) : undefined
}

export function blobIdOf(bytes: Uint8Array): BlobId {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) throw new TypeError('a blob id is 16 bytes')
  return toBase64Url(bytes) as BlobId
}

export function blobIdBytes(id: BlobId): Uint8Array {
  const bytes = parseBlobId(id) && fromBase64Url(id)
  if (!bytes) throw new TypeError('invalid blob id')
  return bytes
}

/**
 * [B2] Padmé (Nikitin et al., 2019) over whole chunks: with E = ⌊log2 n⌋ and S = ⌊log2 E⌋ + 1, n
 * is rounded up to a multiple of 2^(E − S), so at most its top S + 1 bits may be non-zero and
 * the padding costs at most about 1/2^S (12% at 2 GiB). n < 2: n. 32,768 stays 32,768;
 * 32,769 pads to 34,816.
 */
export function paddedChunkCount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('a chunk count is a non-negative safe integer')
  if (n < 2) return n
  let e = 0
  while (2 ** (e + 1) <= n) e++
  let log2e = 0
  while (2 ** (log2e + 1) <= e) log2e++
  const step = 2 ** (e - (log2e + 1))
  return Math.ceil(n / step) * step
}

/** [B4]–[B8] Request targets, exactly as signed ([B3]) and sent. */
export const blobPaths = {
  create: (b: BlobId, chunks: number) => `/v1/blobs/${b}?chunks=${chunks}`,
  status: (b: BlobId) => `/v1/blobs/${b}`,
  put: (b: BlobId, start: number) => `/v1/blobs/${b}/chunks/${start}`,
  data: (b: BlobId) => `/v1/blobs/${b}/data`,
  remove: (b: BlobId) => `/v1/blobs/${b}`,
  /** [B13] The usage of the space whose capability signs the request. */
  usage: () => '/v1/blobs/usage',
}

/** [B3] The `authorization` header: a capability proof ([K9], role `access`) over this request. */
export interface BlobAuth {
  readonly conv: Uint8Array
  readonly epoch: number
  readonly time: number
  readonly proof: Uint8Array
}

/** [B4] The `x-fieldchat-space` header: the organisation's proof ([K9], role `space`) over the same request and time. */
export interface BlobSpaceAuth {
  readonly space: Uint8Array
  readonly epoch: number
  readonly proof: Uint8Array
}

const AUTH = /^FCBlob conv=([A-Za-z0-9_-]{22}),epoch=(0|[1-9][0-9]{0,9}),time=(0|[1-9][0-9]{0,15}),proof=([A-Za-z0-9_-]{86})$/
const SPACE_AUTH = /^space=([A-Za-z0-9_-]{22}),epoch=(0|[1-9][0-9]{0,9}),proof=([A-Za-z0-9_-]{86})$/

/** Canonical base64url of exactly `length` bytes, or undefined. */
function exactBytes(text: string, length: number): Uint8Array | undefined {
  const bytes = fromBase64Url(text)
  return bytes && bytes.length === length && toBase64Url(bytes) === text ? bytes : undefined
}

const isEpoch = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff

function checkFields(bytes: readonly [Uint8Array, number][], epoch: number, time?: number): void {
  for (const [b, n] of bytes) if (!(b instanceof Uint8Array) || b.length !== n) throw new TypeError(`expected ${n} bytes`)
  if (!isEpoch(epoch)) throw new TypeError('an epoch is a u32')
  if (time !== undefined && (!Number.isSafeInteger(time) || time < 0)) throw new TypeError('a time is a non-negative safe integer (ms)')
}

export function encodeBlobAuth(a: BlobAuth): string {
  checkFields([[a.conv, 16], [a.proof, 64]], a.epoch, a.time)
  return `FCBlob conv=${toBase64Url(a.conv)},epoch=${a.epoch},time=${a.time},proof=${toBase64Url(a.proof)}`
}

/** Strict: exactly these four fields in this order, one spelling each; anything else is undefined. */
export function parseBlobAuth(v: unknown): BlobAuth | undefined {
  const m = typeof v === 'string' ? AUTH.exec(v) : null
  if (!m) return undefined
  const conv = exactBytes(m[1]!, 16)
  const proof = exactBytes(m[4]!, 64)
  const epoch = Number(m[2])
  const time = Number(m[3])
  if (!conv || !proof || !isEpoch(epoch) || !Number.isSafeInteger(time)) return undefined
  return { conv, epoch, time, proof }
}

export function encodeBlobSpaceAuth(a: BlobSpaceAuth): string {
  checkFields([[a.space, 16], [a.proof, 64]], a.epoch)
  return `space=${toBase64Url(a.space)},epoch=${a.epoch},proof=${toBase64Url(a.proof)}`
}

export function parseBlobSpaceAuth(v: unknown): BlobSpaceAuth | undefined {
  const m = typeof v === 'string' ? SPACE_AUTH.exec(v) : null
  if (!m) return undefined
  const space = exactBytes(m[1]!, 16)
  const proof = exactBytes(m[3]!, 64)
  const epoch = Number(m[2])
  if (!space || !proof || !isEpoch(epoch)) return undefined
  return { space, epoch, proof }
}

/** [B4]–[B6] What the server answers about a blob: its padded chunk count, how many are stored, whether all are. */
export interface BlobStatus {
  readonly chunks: number
  readonly stored: number
  readonly complete: boolean
}

const chunkCount = z.number().int().min(1).max(BLOB_MAX_CHUNKS)
const blobStatusSchema = z
  .strictObject({ chunks: chunkCount, stored: z.number().int().min(0).max(BLOB_MAX_CHUNKS), complete: z.boolean() })
  .refine((s) => s.stored <= s.chunks && s.complete === (s.stored === s.chunks), { message: 'inconsistent blob status' })

/**
 * [B13] A space's usage as the quota counts it ([B4]): padded bytes of its blobs, complete or not,
 * the part not uploaded yet, and the quota.
 */
export interface BlobSpaceUsage {
  readonly bytes: number
  readonly pending: number
  readonly quotaBytes: number
}

const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
const spaceUsageSchema = z.strictObject({ bytes: byteCount, pending: byteCount, quotaBytes: byteCount }).refine((u) => u.pending <= u.bytes, { message: 'more pending than counted' })

export function parseBlobSpaceUsage(json: unknown): BlobSpaceUsage | undefined {
  const r = spaceUsageSchema.safeParse(json)
  return r.success ? r.data : undefined
}

export function parseBlobStatus(json: unknown): BlobStatus | undefined {
  const r = blobStatusSchema.safeParse(json)
  return r.success ? r.data : undefined
}

/**
 * [B12] The blob endpoints' error codes. The number in a code is its HTTP status. Each code has a
 * text for the local person and one for the remote peer (the `message` of the answer), which says
 * no more than the peer already knows. Body: `{ code, message, serverTime?, stored? }`.
 */
export const BlobErrorCode = {
  BAD_REQUEST: 'B400_BAD_REQUEST',
  NOT_PADDED: 'B400_NOT_PADDED',
  BAD_LENGTH: 'B400_BAD_LENGTH',
  AUTH_MISSING: 'B401_AUTH_MISSING',
  CLOCK: 'B401_CLOCK',
  DENIED: 'B403_DENIED',
  NOT_FOUND: 'B404_NOT_FOUND',
  BODY_TIMEOUT: 'B408_BODY_TIMEOUT',
  CONFLICT: 'B409_CONFLICT',
  OUT_OF_ORDER: 'B409_OUT_OF_ORDER',
  INCOMPLETE: 'B409_INCOMPLETE',
  TOO_LARGE: 'B413_TOO_LARGE',
  QUOTA: 'B413_QUOTA',
  RANGE: 'B416_RANGE',
  RATE_LIMITED: 'B429_RATE_LIMITED',
  INTERNAL: 'B500_INTERNAL',
  BUSY: 'B503_BUSY',
  STORAGE_FULL: 'B507_STORAGE_FULL',
} as const
export type BlobErrorCode = (typeof BlobErrorCode)[keyof typeof BlobErrorCode]

export const blobErrorText: Record<BlobErrorCode, { local: string; remote: string }> = {
  B400_BAD_REQUEST: { local: 'The app asked the server for a file in a way it does not understand.', remote: 'Not a blob request: check the method, path and query.' },
  B400_NOT_PADDED: { local: 'The app asked to store a file of a size the server does not take.', remote: 'The chunk count must be padded (paddedChunkCount) and at least 1.' },
  B400_BAD_LENGTH: { local: 'Part of a file was sent in a form the server does not take.', remote: 'The body must be whole sealed chunks with an exact content-length, within the blob.' },
  B401_AUTH_MISSING: { local: 'The app sent a file request without its proof of access.', remote: 'The authorization (or x-fieldchat-space) header is missing or malformed.' },
  B401_CLOCK: { local: 'This device\'s clock is off; correcting it and trying again.', remote: 'The request time is too far from the server\'s clock: sign again with serverTime.' },
  B403_DENIED: { local: 'You no longer have access to this conversation\'s files.', remote: 'Capability proof rejected for this conversation and epoch.' },
  B404_NOT_FOUND: { local: 'This file is no longer on the server.', remote: 'No such blob in this conversation.' },
  B408_BODY_TIMEOUT: { local: 'The upload stalled; resuming.', remote: 'The body stopped arriving: resume from stored.' },
  B409_CONFLICT: { local: 'The server already holds another file under this id; sending it under a new one.', remote: 'This blob id is taken: draw a new one.' },
  B409_OUT_OF_ORDER: { local: 'Parts of a file arrived out of order; resuming.', remote: 'Chunks must follow the stored ones: resume from stored.' },
  B409_INCOMPLETE: { local: 'This file has not finished uploading yet.', remote: 'The blob is not complete.' },
  B413_TOO_LARGE: { local: 'The file is larger than the server accepts.', remote: 'Beyond the chunk limit of a blob or of one PUT.' },
  B413_QUOTA: { local: 'Your organisation has used all of its file storage on the server.', remote: 'The space\'s blob quota would be exceeded.' },
  B416_RANGE: { local: 'Part of a file could not be fetched.', remote: 'Send one satisfiable range: bytes=a-b, bytes=a- or bytes=-n.' },
  B429_RATE_LIMITED: { local: 'Too many file requests; slowing down.', remote: 'Too many requests: retry after the given seconds.' },
  B500_INTERNAL: { local: 'The server had a problem with a file; retrying.', remote: 'Internal error.' },
  B503_BUSY: { local: 'The server is busy with other uploads; retrying shortly.', remote: 'Too many uploads at once: retry shortly.' },
  B507_STORAGE_FULL: { local: 'The server is out of storage for files; try again later.', remote: 'The server\'s blob storage is full.' },
}

/** The HTTP status a code is answered with: the number in it. */
export function blobErrorStatus(code: BlobErrorCode): number {
  return Number(code.slice(1, 4))
}

const blobErrorSchema = z.strictObject({
  code: z.enum(Object.values(BlobErrorCode) as [BlobErrorCode, ...BlobErrorCode[]]),
  message: z.string().max(1000),
  serverTime: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  stored: z.number().int().min(0).max(BLOB_MAX_CHUNKS).optional(),
})

/** An error answer's JSON body, or undefined when it is not one of ours (a proxy's page, another server). */
export function parseBlobError(json: unknown): { code: BlobErrorCode; message: string; serverTime?: number; stored?: number } | undefined {
  const r = blobErrorSchema.safeParse(json)
  if (!r.success) return undefined
  const { code, message, serverTime, stored } = r.data
  return { code, message, ...(serverTime !== undefined ? { serverTime } : {}), ...(stored !== undefined ? { stored } : {}) }
}
