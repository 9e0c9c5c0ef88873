import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Fetch } from '../core/files/blobClient.js'

/** Network reads waiting in a GET's body before the socket is paused. */
const READS_AHEAD = 4
/** A GET whose socket is silent this long (before its answer or in its body) fails. */
const GET_IDLE_MS = 60_000

/**
 * The blob store's HTTP in Node: the global fetch, except for the two ways it costs CPU that a
 * file's gigabyte pays many times over (bench:files):
 * - A byte body is handed over as a one-chunk stream with its length. Given the bytes themselves,
 *   undici copies every body first (a 16 MiB PUT is a 16 MiB copy); as a stream they go to the
 *   socket as they are: about a third of the CPU of 64 PUTs of 16 MiB to a local server.
 * - A GET goes through node:http, its body a byte stream fed by the socket's reads (paused while
 *   four wait): undici's body stream cost 0.3–0.4 s more CPU per GiB on this machine. node:http
 *   has no timeout of its own (undici gives up on a body silent for 300 s): a GET whose socket
 *   is silent for `idleMs` fails, and the download tries again from where it stopped.
 * Browsers keep fetch (streamed request bodies need HTTP/2 there).
 */
export const makeNodeBlobFetch = (idleMs = GET_IDLE_MS): Fetch => (input, init) => {
  if ((init?.method ?? 'GET') === 'GET' && typeof input === 'string') return get(input, init, idleMs)
  const body = init?.body
  if (!(body instanceof Uint8Array)) return fetch(input, init)
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body)
      controller.close()
    },
  })
  const headers = new Headers(init?.headers)
  headers.set('content-length', String(body.length))
  return fetch(input, { ...init, headers, body: stream, duplex: 'half' } as RequestInit)
}

export const nodeBlobFetch: Fetch = makeNodeBlobFetch()

function get(url: string, init: RequestInit | undefined, idleMs: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const headers: Record<string, string> = {}
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value))
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: 'GET', headers, ...(init?.signal ? { signal: init.signal } : {}) })
    let answer: IncomingMessage | undefined
    req.once('error', reject)
    // While the body is read too: the request's socket is the body's.
    req.setTimeout(idleMs, () => {
      const silent = new Error(`no bytes from the server for ${idleMs / 1000} s`)
      if (answer) answer.destroy(silent)
      else req.destroy(silent)
    })
    req.once('response', (res) => {
      answer = res
      resolve(new Response(bodyOf(res), { status: res.statusCode ?? 502, headers: headersOf(res) }))
    })
    req.end()
  })
}

function bodyOf(res: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const fail = (err: Error) => {
          if (open) (open = false), controller.error(err)
        }
        res.on('data', (d: Buffer) => {
          if (!open) return
          controller.enqueue(new Uint8Array(d.buffer, d.byteOffset, d.length))
          if ((controller.desiredSize ?? 0) <= 0) res.pause()
        })
        res.once('end', () => {
          if (open) (open = false), controller.close()
        })
        res.once('error', fail)
        res.once('close', () => fail(new Error('the connection closed before the body ended')))
      },
      pull() {
        res.resume()
      },
      cancel() {
        open = false
        res.destroy()
      },
    },
    { highWaterMark: READS_AHEAD },
  )
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  return headers
}
