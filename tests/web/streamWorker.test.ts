import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { parseStreamRead, STREAM_READ, STREAM_WINDOW_BYTES, type StreamAnswer } from '../../client/web/files/streamProtocol.js'

/**
 * [W7] The service worker's part of streaming playback (client/web/public/stream-sw.js), run in
 * Node with the page played by a client that answers its MessageChannel requests from bytes in
 * memory, exactly as client/web/files/streamPlayback.ts answers (parsed with its own parser).
 */
const SCRIPT = readFileSync(join(import.meta.dirname, '../../client/web/public/stream-sw.js'), 'utf8')
const ORIGIN = 'https://chat.example'

type FetchHandler = (event: unknown) => void

function worker(pages: Record<string, { token: string; bytes: Uint8Array; type: string; asked: { start: number; end: number }[] }>) {
  let handler: FetchHandler | undefined
  const clientOf = (id: string) => {
    const page = pages[id]
    if (!page) return undefined
    return {
      postMessage(message: unknown, ports: MessagePort[]) {
        const read = parseStreamRead(message)
        const port = ports[0]!
        if (!read) return port.postMessage({ ok: false, status: 502 })
        page.asked.push({ start: read.start, end: read.end })
        let answer: StreamAnswer
        if (read.token !== page.token) answer = { ok: false, status: 404 }
        else if (read.start >= page.bytes.length) answer = { ok: false, status: 416 }
        else answer = { ok: true, size: page.bytes.length, type: page.type, bytes: page.bytes.slice(read.start, Math.min(read.end, page.bytes.length)) }
        port.postMessage(answer)
        setTimeout(() => port.close(), 0)
      },
    }
  }
  const self = {
    location: { origin: ORIGIN },
    clients: { get: async (id: string) => clientOf(id) },
    addEventListener: (type: string, fn: FetchHandler) => void (type === 'fetch' && (handler = fn)),
  }
  new Function('self', SCRIPT)(self)
  return async (path: string, opts: { range?: string; client?: string; destination?: string } = {}): Promise<Response | undefined> => {
    let responded: Promise<Response> | undefined
    let stopped = false
    handler!({
      request: { url: ORIGIN + path, headers: new Headers(opts.range ? { range: opts.range } : {}), destination: opts.destination ?? 'video' },
      clientId: opts.client ?? 'page',
      respondWith: (p: Promise<Response>) => void (responded = p),
      stopImmediatePropagation: () => void (stopped = true),
    })
    if (responded) expect(stopped).toBe(true)
    return responded
  }
}

const TOKEN = 'tok_0123456789abcdef'
function video(size: number): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = (i * 7 + (i >> 8)) & 0xff
  return b
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))

describe('[W7] the service worker answers stream requests from the page', () => {
  test('[W7] a Range request gets a 206 with Content-Range, Content-Length, Accept-Ranges and the type; the body is pulled window by window', async () => {
    const bytes = video(2 * STREAM_WINDOW_BYTES + 12_345)
    const page = { token: TOKEN, bytes, type: 'video/webm', asked: [] as { start: number; end: number }[] }
    const fetch = worker({ page })
    const res = (await fetch(`/files/stream/${TOKEN}`, { range: 'bytes=100-' }))!
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 100-${bytes.length - 1}/${bytes.length}`)
    expect(res.headers.get('content-length')).toBe(String(bytes.length - 100))
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('content-type')).toBe('video/webm')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    // Only the first window is asked for before the response starts; the rest as the body is read.
    expect(page.asked).toEqual([{ start: 100, end: 100 + STREAM_WINDOW_BYTES }])
    const body = new Uint8Array(await res.arrayBuffer())
    expect(same(body, bytes.subarray(100))).toBe(true)
    expect(page.asked.length).toBe(3)
    expect(page.asked.every((a) => a.end - a.start <= STREAM_WINDOW_BYTES)).toBe(true)
  })

  test('[W7] a closed range is served exactly; no Range header gets a 200 of the whole file', async () => {
    const bytes = video(300_000)
    const fetch = worker({ page: { token: TOKEN, bytes, type: 'video/mp4', asked: [] } })
    const part = (await fetch(`/files/stream/${TOKEN}`, { range: 'bytes=1000-1999' }))!
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`)
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(1000, 2000))
    const whole = (await fetch(`/files/stream/${TOKEN}`))!
    expect(whole.status).toBe(200)
    expect(whole.headers.get('content-length')).toBe(String(bytes.length))
    expect(same(new Uint8Array(await whole.arrayBuffer()), bytes)).toBe(true)
  })

  test('[W7] refused: an unknown token (404), another page\'s token (404), a range past the end (416), a malformed range (416), a page load instead of a media element (404)', async () => {
    const bytes = video(1000)
    const fetch = worker({ page: { token: TOKEN, bytes, type: 'video/webm', asked: [] }, other: { token: 'other_0123456789abcd', bytes, type: 'video/webm', asked: [] } })
    expect((await fetch('/files/stream/unknown_0123456789ab'))!.status).toBe(404)
    expect((await fetch(`/files/stream/${TOKEN}`, { client: 'other' }))!.status).toBe(404)
    expect((await fetch(`/files/stream/${TOKEN}`, { client: 'nobody' }))!.status).toBe(404)
    expect((await fetch(`/files/stream/${TOKEN}`, { range: 'bytes=5000-' }))!.status).toBe(416)
    expect((await fetch(`/files/stream/${TOKEN}`, { range: 'bytes=-500' }))!.status).toBe(416)
    expect((await fetch(`/files/stream/${TOKEN}`, { range: 'bytes=0-1,5-9' }))!.status).toBe(416)
    expect((await fetch(`/files/stream/${TOKEN}`, { destination: 'document' }))!.status).toBe(404)
    expect((await fetch('/files/stream/bad token!'))!.status).toBe(404)
  })

  test('[W7] a type that is not audio or video is served as application/octet-stream (a sender\'s text/html never renders at our origin)', async () => {
    const fetch = worker({ page: { token: TOKEN, bytes: video(100), type: 'text/html', asked: [] } })
    const res = (await fetch(`/files/stream/${TOKEN}`))!
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('content-security-policy')).toContain('sandbox')
  })

  test('[W7] other requests are left to the rest of the worker (the precache, the network)', async () => {
    const fetch = worker({})
    expect(await fetch('/index.html')).toBeUndefined()
    expect(await fetch('/v1/blobs/x/data')).toBeUndefined()
  })
})

test('[W7] the page parses what the worker asks: a token it could have made, a window of at most 1 MiB', () => {
  const ok = { type: STREAM_READ, token: TOKEN, start: 0, end: STREAM_WINDOW_BYTES }
  expect(parseStreamRead(ok)).toEqual(ok)
  for (const bad of [
    { ...ok, type: 'other' }, { ...ok, token: 'short' }, { ...ok, token: '../../etc' }, { ...ok, start: -1 }, { ...ok, end: 0 },
    { ...ok, end: STREAM_WINDOW_BYTES + 1 }, { ...ok, start: 1.5 }, { ...ok, end: '9' }, null, 'read', [],
  ]) expect(parseStreamRead(bad)).toBeUndefined()
})
