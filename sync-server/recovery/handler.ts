import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RecoveryLimits } from '../limits.js'
import type { Logger } from '../log.js'
import { RECOVERY_BLOB_MAX, isRecoveryBlobSize, type RecoveryAddr, type RecoveryBlobStore } from '../store/RecoveryBlobStore.js'
import { readBoundedBody } from './body.js'
import { RECOVERY_HEADERS, refuse, type RecoveryErrorCode } from './errors.js'
import { ClientRateLimiter, clientKey } from './rateLimit.js'
import { parseAddressPath, writeHashOf } from './request.js'

export interface RecoveryContext {
  readonly store: RecoveryBlobStore
  readonly limits: RecoveryLimits
  readonly log: Logger
}

/** What a request came to, for the log line: a status and, when refused, its code. Never an address or a secret. */
type Outcome = { readonly status: number; readonly code?: RecoveryErrorCode }

/**
 * [S14]–[S17] `GET | PUT | DELETE /recovery/<addr>`: plain HTTP, not tied to any device session.
 * Order of checks: rate (every request, [S17]), method, address, write secret, declared size,
 * upload slots, body, store.
 */
export function recoveryHandler(ctx: RecoveryContext): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, limits, log } = ctx
  const limiter = new ClientRateLimiter(limits.requestsPerMinute, limits.burstRequests, limits.maxTrackedClients)
  const capacity = { maxBlobs: limits.maxBlobs, maxTotalBytes: limits.maxTotalBytes }
  let uploads = 0

  const fail = (req: IncomingMessage, res: ServerResponse, code: RecoveryErrorCode, extra?: Record<string, string>): Outcome => {
    // A body left unread is not drained for keep-alive: the connection closes after the answer.
    refuse(res, code, !req.complete, extra)
    return { status: res.statusCode, code }
  }
  const done = (res: ServerResponse, status: number): Outcome => {
    res.writeHead(status, RECOVERY_HEADERS).end()
    return { status }
  }

  // [S14] A present blob and a missing one cost the same lookup by primary key; only sending the bytes differs.
  const get = async (req: IncomingMessage, res: ServerResponse, addr: RecoveryAddr): Promise<Outcome> => {
    const blob = await store.get(addr)
    if (!blob) return fail(req, res, 'R404_NOT_FOUND')
    res.writeHead(200, { ...RECOVERY_HEADERS, 'content-type': 'application/octet-stream', 'content-length': blob.length })
    res.end(blob)
    return { status: 200 }
  }

  const put = async (req: IncomingMessage, res: ServerResponse, addr: RecoveryAddr): Promise<Outcome> => {
    const writeHash = writeHashOf(req.headers['x-fieldchat-write'])
    if (!writeHash) return fail(req, res, 'R400_BAD_WRITE_SECRET')
    // [S16] A declared length is judged before a byte of the body is read.
    const declared = req.headers['content-length']
    if (declared !== undefined && Number(declared) > RECOVERY_BLOB_MAX) return fail(req, res, 'R413_TOO_LARGE')
    if (declared !== undefined && !isRecoveryBlobSize(Number(declared))) return fail(req, res, 'R400_BAD_SIZE')
    if (uploads >= limits.maxConcurrentUploads) return fail(req, res, 'R503_BUSY', { 'retry-after': '1' })
    uploads++
    const body = await readBoundedBody(req, { maxBytes: RECOVERY_BLOB_MAX, idleTimeoutMs: limits.bodyIdleTimeoutMs, timeoutMs: limits.bodyTimeoutMs }).finally(() => uploads--)
    if (!body.ok) {
      // The client went away: there is no one to answer.
      if (body.reason === 'aborted') return { status: 0 }
      return fail(req, res, body.reason === 'too-large' ? 'R413_TOO_LARGE' : 'R408_BODY_TIMEOUT')
    }
    if (!isRecoveryBlobSize(body.bytes.length)) return fail(req, res, 'R400_BAD_SIZE')
    // Invariants 1–4 of RecoveryBlobStore: checked and written in one transaction.
    // [S15] `x-fieldchat-replace: 1`: a refresh, which never recreates a deleted blob.
    const outcome = await store.put(addr, writeHash, body.bytes, capacity, req.headers['x-fieldchat-replace'] === '1')
    switch (outcome) {
      case 'created':
        return done(res, 201)
      case 'replaced':
        return done(res, 204)
      case 'wrong-write-secret':
        return fail(req, res, 'R403_WRONG_WRITE_SECRET')
      case 'full':
        return fail(req, res, 'R507_FULL')
      case 'missing':
        return fail(req, res, 'R409_GONE')
      default:
        return outcome satisfies never
    }
  }

  const remove = async (req: IncomingMessage, res: ServerResponse, addr: RecoveryAddr): Promise<Outcome> => {
    const writeHash = writeHashOf(req.headers['x-fieldchat-write'])
    if (!writeHash) return fail(req, res, 'R400_BAD_WRITE_SECRET')
    const outcome = await store.delete(addr, writeHash)
    switch (outcome) {
      case 'deleted':
        return done(res, 204)
      case 'missing':
        return fail(req, res, 'R404_NOT_FOUND')
      case 'wrong-write-secret':
        return fail(req, res, 'R403_WRONG_WRITE_SECRET')
      default:
        return outcome satisfies never
    }
  }

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<Outcome> => {
    const wait = limiter.take(clientKey(req.socket.remoteAddress))
    if (wait > 0) return fail(req, res, 'R429_RATE_LIMITED', { 'retry-after': String(wait) })
    const method = req.method
    if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return fail(req, res, 'R405_METHOD', { allow: 'GET, PUT, DELETE' })
    const addr = parseAddressPath(req.url)
    if (!addr) return fail(req, res, 'R400_BAD_ADDRESS')
    return method === 'GET' ? get(req, res, addr) : method === 'PUT' ? put(req, res, addr) : remove(req, res, addr)
  }

  return (req, res) => {
    serve(req, res)
      // [S18] Method, status and code only: never an address, a write secret, a size or a client address.
      .then((o) => log.info({ recovery: req.method, status: o.status, ...(o.code ? { code: o.code } : {}) }, 'recovery request'))
      .catch((err: unknown) => {
        log.error({ recovery: req.method, err: (err as Error).message }, 'recovery request failed')
        if (!res.headersSent) refuse(res, 'R500_INTERNAL', !req.complete)
        else res.destroy()
      })
  }
}
