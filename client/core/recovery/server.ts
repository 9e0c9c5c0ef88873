import { toHex } from '../../../crypto/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'

/**
 * [M32] The server's recovery blobs (protocol "Recovery blobs"): plain HTTP beside `/sync`, not
 * the device's authenticated socket, so a blob is tied to no device. `GET` reads, `PUT` writes
 * with the write secret, `DELETE` retires an old key's blob.
 */
export type Fetch = typeof globalThis.fetch

/** `ws(s)://host/sync` → `http(s)://host/recovery/<addr>`. */
export function blobUrl(syncUrl: string, addr: Uint8Array): string {
  const u = new URL(syncUrl)
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:'
  u.pathname = `/recovery/${toHex(addr)}`
  u.search = ''
  return u.toString()
}

const unavailable = (detail: string) => new ClientError(ClientErrorCode.RECOVERY_UNAVAILABLE, detail)

async function call(fetch: Fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
  } catch (err) {
    throw unavailable(err instanceof Error ? err.message : String(err))
  }
}

/** A blob is at most 4 MiB (crypto [R7]): a server that sends more is cut off, not buffered. */
const MAX = 4 * 1024 * 1024

async function boundedBody(res: Response): Promise<Uint8Array> {
  if (Number(res.headers.get('content-length') ?? 0) > MAX) throw unavailable('the server sent more than a recovery blob can be')
  const reader = res.body?.getReader()
  if (!reader) return new Uint8Array(0)
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > MAX) {
      await reader.cancel().catch(() => undefined)
      throw unavailable('the server sent more than a recovery blob can be')
    }
    parts.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}

export async function getBlob(fetch: Fetch, syncUrl: string, addr: Uint8Array): Promise<Uint8Array | undefined> {
  const res = await call(fetch, blobUrl(syncUrl, addr), { method: 'GET', cache: 'no-store' })
  if (res.status === 404) return undefined
  if (!res.ok) throw unavailable(`server answered ${res.status}`)
  return boundedBody(res)
}

/**
 * Writes the blob; `replace`: a refresh, which the server refuses (409) at an address that holds
 * no blob — the key was spent by a restore elsewhere ([S15] invariant 6). Returns `gone` then.
 */
export async function putBlob(fetch: Fetch, syncUrl: string, addr: Uint8Array, write: Uint8Array, sealed: Uint8Array, replace = false): Promise<'written' | 'gone'> {
  const res = await call(fetch, blobUrl(syncUrl, addr), { method: 'PUT', headers: { 'x-fieldchat-write': toHex(write), 'content-type': 'application/octet-stream', ...(replace ? { 'x-fieldchat-replace': '1' } : {}) }, body: sealed as Uint8Array<ArrayBuffer> })
  if (res.status === 409) return 'gone'
  if (!res.ok) throw unavailable(`server answered ${res.status}`)
  return 'written'
}

export async function deleteBlob(fetch: Fetch, syncUrl: string, addr: Uint8Array, write: Uint8Array): Promise<void> {
  const res = await call(fetch, blobUrl(syncUrl, addr), { method: 'DELETE', headers: { 'x-fieldchat-write': toHex(write) } })
  if (!res.ok && res.status !== 404) throw unavailable(`server answered ${res.status}`)
}
