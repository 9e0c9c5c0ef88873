import type { IncomingMessage, ServerResponse } from 'node:http'
import { bytesEqual } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, BlobErrorCode, type BlobId } from '../../protocol/index.js'
import type { BlobLimits } from '../limits.js'
import type { Logger } from '../log.js'
import { ClientRateLimiter, clientKey } from '../recovery/rateLimit.js'
import { authorize, quotaSpace, type Authorized, type Capabilities } from './auth.js'
import { blobBytes, type BlobCapacity, type BlobRecord, type BlobStore } from './BlobStore.js'
import { chunkedBody } from './body.js'
import { pump } from './pump.js'
import { answerStatus, BLOB_HEADERS, refuse, statusOf, type ErrorExtra } from './errors.js'
import { parseRange } from './range.js'
import { parseBlobRequest, type BlobRoute } from './request.js'

export interface BlobContext {
  readonly store: BlobStore
  /** The registered conversations' capabilities (the change store). */
  readonly caps: Capabilities
  readonly limits: BlobLimits
  readonly log: Logger
  /** [S6] The socket's idle limit outside blob requests, put back after each answer. */
  readonly silentSocketMs: number
  readonly now?: () => number
  /** [B11] Counters by operation and code, and bytes each way (/metrics). */
  readonly metrics?: { blobRequest(op: BlobRoute['op'] | 'invalid', code: string): void; blobTransfer(way: 'in' | 'out', bytes: number): void }
}

/** How long a PUT that overtook the one before it waits for it ([B5]). */
const PIPELINE_WAIT_MS = 2_000

/** What a request came to, for the log line: a status and, when refused, its code. Never an id, a conversation or a size. */
type Outcome = { readonly status: number; readonly code?: BlobErrorCode }
type Req = IncomingMessage
type Res = ServerResponse

/**
 * [B3]–[B8] `/v1/blobs/…`: plain HTTP beside `/sync`. Order of checks: rate ([B11], every
 * request), target, method and declared length ([B3], [B5]), authorization ([B3]: header, clock,
 * capability), the blob's conversation ([B3]: B404 whether it exists elsewhere or not at all),
 * then the operation.
 */
export function blobHandler(ctx: BlobContext): (req: Req, res: Res) => void {
  const { store, caps, limits, log } = ctx
  const now = ctx.now ?? Date.now
  const limiter = new ClientRateLimiter(limits.requestsPerMinute, limits.burstRequests, limits.maxTrackedClients)
  const capacity: BlobCapacity = { spaceQuotaBytes: limits.spaceQuotaBytes, maxTotalBytes: limits.maxTotalBytes, diskReserveBytes: limits.diskReserveBytes }
  let uploads = 0

  const fail = (req: Req, res: Res, code: BlobErrorCode, extra?: ErrorExtra, headers?: Record<string, string>): Outcome => {
    // A body left unread is not drained for keep-alive: the connection closes after the answer.
    refuse(res, code, !req.complete, extra, headers)
    return { status: res.statusCode, code }
  }
  const ok = (res: Res, status: 200 | 201, blob: BlobRecord): Outcome => (answerStatus(res, status, statusOf(blob)), { status })
  /** [B3] The blob, if it exists and belongs to the conversation that asks. */
  const owned = async (id: BlobId, access: Authorized) => {
    const blob = await store.get(id)
    return blob && bytesEqual(blob.conv, access.conv) ? blob : undefined
  }

  const create = async (req: Req, res: Res, route: Extract<BlobRoute, { op: 'create' }>, access: Authorized): Promise<Outcome> => {
    const space = await quotaSpace(req, caps, access)
    if (!space.ok) return fail(req, res, space.code, space.extra)
    const outcome = await store.create(route.id, { conv: access.conv, space: space.space, chunks: route.chunks }, capacity, now())
    switch (outcome.kind) {
      case 'created':
        return ok(res, 201, outcome.blob)
      case 'exists':
        return ok(res, 200, outcome.blob)
      case 'conflict':
        return fail(req, res, BlobErrorCode.CONFLICT)
      case 'quota':
        return fail(req, res, BlobErrorCode.QUOTA)
      case 'full':
        return fail(req, res, BlobErrorCode.STORAGE_FULL)
      default:
        return outcome satisfies never
    }
  }

  const put = async (req: Req, res: Res, route: Extract<BlobRoute, { op: 'put' }>, access: Authorized): Promise<Outcome> => {
    let blob = await owned(route.id, access)
    if (!blob) return fail(req, res, BlobErrorCode.NOT_FOUND)
    // [B5] A PUT that starts beyond what is stored may have overtaken the one before it (sent at
    // the same time on another connection): it waits up to PIPELINE_WAIT_MS for the store to
    // reach its start, then the store judges the order in the blob's turn.
    for (const until = now() + PIPELINE_WAIT_MS; route.start > blob.stored && now() < until; ) {
      await new Promise((r) => setTimeout(r, 20))
      blob = (await owned(route.id, access)) ?? blob
    }
    if (route.start + route.count > blob.chunks) return fail(req, res, BlobErrorCode.BAD_LENGTH)
    // Order is checked by the store in the blob's turn (BlobStore invariant 2), not here: a client
    // may send the next PUT while the one before it is still being made durable.
    if (uploads >= limits.maxConcurrentUploads) return fail(req, res, BlobErrorCode.BUSY, {}, { 'retry-after': '1' })
    uploads++
    const body = chunkedBody(req, limits.bodyIdleTimeoutMs)
    const outcome = await store.append(route.id, route.start, body.chunks, now()).finally(() => uploads--)
    switch (outcome.kind) {
      case 'missing':
        return fail(req, res, BlobErrorCode.NOT_FOUND)
      case 'out-of-order':
        return fail(req, res, BlobErrorCode.OUT_OF_ORDER, { stored: outcome.stored })
      case 'full':
        return fail(req, res, BlobErrorCode.STORAGE_FULL, { stored: outcome.stored })
      case 'appended':
        // [B5] A stalled body is cut; its whole chunks are stored and the answer says how many.
        if (body.end === 'stalled') return fail(req, res, BlobErrorCode.BODY_TIMEOUT, { stored: outcome.stored })
        // The client went away: nobody to answer; it asks the status and resumes.
        ctx.metrics?.blobTransfer('in', Math.max(0, outcome.stored - Math.max(route.start, blob.stored)) * BLOB_CHUNK_BYTES)
        if (body.end === 'aborted') return { status: 0 }
        return ok(res, 200, { ...blob, stored: outcome.stored })
      default:
        return outcome satisfies never
    }
  }

  const data = async (req: Req, res: Res, route: Extract<BlobRoute, { op: 'data' }>, access: Authorized): Promise<Outcome> => {
    const blob = await owned(route.id, access)
    if (!blob) return fail(req, res, BlobErrorCode.NOT_FOUND)
    if (blob.stored < blob.chunks) return fail(req, res, BlobErrorCode.INCOMPLETE)
    const size = blobBytes(blob.chunks)
    const range = parseRange(req.headers.range, size)
    if (range === 'unsatisfiable') return fail(req, res, BlobErrorCode.RANGE, {}, { 'content-range': `bytes */${size}` })
    const { start, end } = range ?? { start: 0, end: size }
    const status = range ? 206 : 200
    const headers = {
      ...BLOB_HEADERS,
      'content-type': 'application/octet-stream',
      'content-length': String(end - start),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${end - 1}/${size}` } : {}),
    }
    if (route.head) return (res.writeHead(status, headers).end(), { status })
    // [B7] Streamed with backpressure: read from the store only as the socket takes it.
    const stream = await store.read(route.id, start, end)
    if (!stream) return fail(req, res, BlobErrorCode.NOT_FOUND)
    res.writeHead(status, headers)
    await pump(stream, res)
    ctx.metrics?.blobTransfer('out', end - start)
    return { status }
  }

  const remove = async (req: Req, res: Res, route: Extract<BlobRoute, { op: 'remove' }>, access: Authorized): Promise<Outcome> => {
    if (!(await owned(route.id, access))) return fail(req, res, BlobErrorCode.NOT_FOUND)
    if (!(await store.delete(route.id))) return fail(req, res, BlobErrorCode.NOT_FOUND)
    res.writeHead(204, BLOB_HEADERS).end()
    return { status: 204 }
  }

  const serve = async (req: Req, res: Res, route: BlobRoute | BlobErrorCode): Promise<Outcome> => {
    const wait = limiter.take(clientKey(req.socket.remoteAddress))
    if (wait > 0) return fail(req, res, BlobErrorCode.RATE_LIMITED, {}, { 'retry-after': String(wait) })
    if (typeof route === 'string') return fail(req, res, route)
    const access = await authorize(req, caps, now())
    if (!access.ok) return fail(req, res, access.code, access.extra)
    switch (route.op) {
      case 'create':
        return create(req, res, route, access)
      case 'status': {
        const blob = await owned(route.id, access)
        return blob ? ok(res, 200, blob) : fail(req, res, BlobErrorCode.NOT_FOUND)
      }
      case 'put':
        return put(req, res, route, access)
      case 'data':
        return data(req, res, route, access)
      case 'remove':
        return remove(req, res, route, access)
      case 'usage': {
        // [B13] The space is the conversation whose capability signed: its own usage, nothing of another's.
        const u = await store.usage(access.conv)
        res.writeHead(200, { ...BLOB_HEADERS, 'content-type': 'application/json' }).end(JSON.stringify({ bytes: u.bytes, pending: u.pending, quotaBytes: capacity.spaceQuotaBytes }))
        return { status: 200 }
      }
      default:
        return route satisfies never
    }
  }

  return (req, res) => {
    // [B5][S6] A blob request may wait for its body, or for its reader, up to the body idle
    // limit (a little more: the handler answers a stalled body first); then the usual limit again.
    req.socket.setTimeout(limits.bodyIdleTimeoutMs + 5_000)
    res.once('close', () => req.socket.setTimeout(ctx.silentSocketMs))
    const route = parseBlobRequest(req)
    const op = typeof route === 'string' ? 'invalid' : route.op
    serve(req, res, route)
      // [B11] Route, status and code only: never a blob id, a conversation, a space, a size or a client address.
      .then((o) => {
        ctx.metrics?.blobRequest(op, o.code ?? 'ok')
        log.info({ blob: op, status: o.status, ...(o.code ? { code: o.code } : {}) }, 'blob request')
      })
      .catch((err: unknown) => {
        // An error's message may name a file (and so a blob id): only its code or kind is logged.
        log.error({ blob: op, err: (err as { code?: string }).code ?? (err as Error).name }, 'blob request failed')
        if (!res.headersSent) refuse(res, BlobErrorCode.INTERNAL, !req.complete)
        else res.destroy()
      })
  }
}
