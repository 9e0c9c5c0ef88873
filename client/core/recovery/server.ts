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

export async function getBlob(fetch: Fetch, syncUrl: string, addr: Uint8Array): Promise<Uint8Array | undefined> {
  const res = await call(fetch, blobUrl(syncUrl, addr), { method: 'GET' })
  if (res.status === 404) return undefined
  if (!res.ok) throw unavailable(`server answered ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}

export async function putBlob(fetch: Fetch, syncUrl: string, addr: Uint8Array, write: Uint8Array, sealed: Uint8Array): Promise<void> {
  const res = await call(fetch, blobUrl(syncUrl, addr), { method: 'PUT', headers: { 'x-fieldchat-write': toHex(write), 'content-type': 'application/octet-stream' }, body: sealed as Uint8Array<ArrayBuffer> })
  if (!res.ok) throw unavailable(`server answered ${res.status}`)
}

export async function deleteBlob(fetch: Fetch, syncUrl: string, addr: Uint8Array, write: Uint8Array): Promise<void> {
  const res = await call(fetch, blobUrl(syncUrl, addr), { method: 'DELETE', headers: { 'x-fieldchat-write': toHex(write) } })
  if (!res.ok && res.status !== 404) throw unavailable(`server answered ${res.status}`)
}
