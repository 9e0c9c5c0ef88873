import { signBlobRequest, type Capability } from '../../../crypto/index.js'
import {
  blobPaths, encodeBlobAuth, encodeBlobSpaceAuth, idBytes, parseBlobError, parseBlobSpaceUsage, parseBlobStatus, type BlobId, type BlobSpaceUsage, type BlobStatus, type ConvId,
} from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'

export type Fetch = typeof globalThis.fetch

/** What signs a blob request ([K9]): the conversation's capability at this device's epoch, and its organisation's for quota. */
export interface BlobAccess {
  readonly conv: ConvId
  readonly epoch: number
  readonly cap: Capability
  readonly space?: { readonly conv: ConvId; readonly epoch: number; readonly cap: Capability }
}

/** The blob store's answers as the engine acts on them: retry later, or give up with a reason. */
export class BlobError extends ClientError {
  constructor(code: ClientErrorCode, readonly wire: string, readonly retry: boolean, detail?: string, readonly stored?: number) {
    super(code, detail ?? wire)
  }
}

/** How each wire code is acted on ([B12]): by full code first, then by its status class. */
const CODE_OF: Record<string, { code: ClientErrorCode; retry: boolean }> = {
  B403: { code: ClientErrorCode.FILE_ACCESS, retry: true },
  B404: { code: ClientErrorCode.FILE_UNAVAILABLE, retry: false },
  B408: { code: ClientErrorCode.FILE_UNAVAILABLE, retry: true },
  B409: { code: ClientErrorCode.FILE_UNAVAILABLE, retry: true },
  B409_CONFLICT: { code: ClientErrorCode.FILE_UNAVAILABLE, retry: false },
  B413: { code: ClientErrorCode.FILE_TOO_LARGE, retry: false },
  B413_QUOTA: { code: ClientErrorCode.FILE_QUOTA, retry: true },
  B416: { code: ClientErrorCode.FILE_DAMAGED, retry: false },
  B429: { code: ClientErrorCode.FILE_UNAVAILABLE, retry: true },
  B503: { code: ClientErrorCode.FILE_UNAVAILABLE, retry: true },
  B507: { code: ClientErrorCode.SERVER_FULL, retry: true },
}

/**
 * [A3] The blob store over HTTP (protocol/SPEC.md "Blobs"), beside `/sync` on the same server.
 * Every request is signed with the conversation's capability ([K9]); a clock the server finds
 * off is corrected from its answer and the request signed again once.
 */
export class BlobClient {
  private skewMs = 0
  private readonly base: string

  constructor(syncUrl: string, private readonly fetch: Fetch = globalThis.fetch.bind(globalThis)) {
    const u = new URL(syncUrl)
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
    u.pathname = ''
    u.search = ''
    this.base = u.origin
  }

  async create(access: BlobAccess, blob: BlobId, chunks: number): Promise<BlobStatus> {
    return status(await this.call(access, 'POST', blobPaths.create(blob, chunks), { space: true }))
  }

  async status(access: BlobAccess, blob: BlobId): Promise<BlobStatus> {
    return status(await this.call(access, 'GET', blobPaths.status(blob)))
  }

  async put(access: BlobAccess, blob: BlobId, start: number, body: Uint8Array, signal?: AbortSignal): Promise<BlobStatus> {
    return status(await this.call(access, 'PUT', blobPaths.put(blob, start), { body, ...(signal ? { signal } : {}) }))
  }

  /** The sealed bytes from `from` (inclusive) to `to` (exclusive; omitted: to the end), as a stream. */
  async read(access: BlobAccess, blob: BlobId, from: number, to?: number, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const range = `bytes=${from}-${to !== undefined ? to - 1 : ''}`
    const res = await this.call(access, 'GET', blobPaths.data(blob), { range, ...(signal ? { signal } : {}) })
    if (!res.body) throw new BlobError(ClientErrorCode.FILE_UNAVAILABLE, 'empty body', true)
    return res.body
  }

  /** [B13] The usage of `access.conv` as a quota space (an organisation's: its groups' files). */
  async usage(access: BlobAccess, signal?: AbortSignal): Promise<BlobSpaceUsage> {
    const res = await this.call(access, 'GET', blobPaths.usage(), signal ? { signal } : {})
    const u = parseBlobSpaceUsage(await res.json().catch(() => undefined))
    if (!u) throw new BlobError(ClientErrorCode.FILE_UNAVAILABLE, 'the server answered something that is not a space usage', true)
    return u
  }

  async remove(access: BlobAccess, blob: BlobId): Promise<void> {
    await this.call(access, 'DELETE', blobPaths.remove(blob))
  }

  private async call(access: BlobAccess, method: string, target: string, opts: { body?: Uint8Array; range?: string; space?: boolean; signal?: AbortSignal } = {}, again = true): Promise<Response> {
    const time = Date.now() + this.skewMs
    const headers: Record<string, string> = {
      authorization: encodeBlobAuth({ conv: idBytes(access.conv), epoch: access.epoch, time, proof: await signBlobRequest(access.cap, 'access', method, target, idBytes(access.conv), access.epoch, time) }),
    }
    if (opts.space && access.space) {
      const s = access.space
      headers['x-fieldchat-space'] = encodeBlobSpaceAuth({ space: idBytes(s.conv), epoch: s.epoch, proof: await signBlobRequest(s.cap, 'space', method, target, idBytes(s.conv), s.epoch, time) })
    }
    if (opts.range) headers.range = opts.range
    if (opts.body) headers['content-type'] = 'application/octet-stream'
    let res: Response
    try {
      res = await this.fetch(this.base + target, { method, headers, ...(opts.body ? { body: opts.body as Uint8Array<ArrayBuffer> } : {}), ...(opts.signal ? { signal: opts.signal } : {}) })
    } catch (err) {
      if (opts.signal?.aborted) throw new BlobError(ClientErrorCode.UPLOAD_CANCELLED, 'cancelled', false)
      throw new BlobError(ClientErrorCode.FILE_UNAVAILABLE, err instanceof Error ? err.message : String(err), true)
    }
    if (res.ok) return res
    const error = parseBlobError(await res.json().catch(() => undefined))
    if (error?.code.startsWith('B401_CLOCK') && error.serverTime !== undefined && again) {
      this.skewMs = error.serverTime - Date.now()
      return this.call(access, method, target, opts, false)
    }
    const wire = error?.code ?? `HTTP ${res.status}`
    const known = CODE_OF[wire] ?? CODE_OF[wire.slice(0, 4)] ?? { code: ClientErrorCode.FILE_UNAVAILABLE, retry: res.status >= 500 }
    throw new BlobError(known.code, wire, known.retry, error?.message, error?.stored)
  }
}

function status(res: Response): Promise<BlobStatus> {
  return res.json().then((json) => {
    const s = parseBlobStatus(json)
    if (!s) throw new BlobError(ClientErrorCode.FILE_UNAVAILABLE, 'the server answered something that is not a blob status', true)
    return s
  })
}
