/*
 * [W7] FieldChat service worker part: streaming playback of files that are still downloading.
 * Imported by the generated service worker (vite.config.ts, workbox.importScripts) before its
 * own routes, so it sees `/files/stream/<token>` requests first. It answers each with a 206
 * partial response (Range, Content-Range, Content-Length, Accept-Ranges, the file's type) whose
 * body it pulls window by window from the page that registered the token
 * (client/web/files/streamPlayback.ts), over a MessageChannel. It never holds a key: the page's
 * engine opens the chunks. Shapes as in client/web/files/streamProtocol.ts.
 */
;(() => {
  const PATH = '/files/stream/'
  const READ = 'fieldchat-stream-read'
  const WINDOW = 1024 * 1024
  const TOKEN = /^[A-Za-z0-9_-]{16,64}$/
  const ASK_MS = 60000
  const MEDIA = new Set(['video', 'audio'])
  const MEDIA_TYPE = /^(video|audio)\/[\w.+-]{1,63}$/

  self.addEventListener('fetch', (event) => {
    const url = new URL(event.request.url)
    if (url.origin !== self.location.origin || !url.pathname.startsWith(PATH)) return
    event.respondWith(respond(event, url.pathname.slice(PATH.length)))
    // Nothing else (the precache, the navigation fallback) may answer it too.
    event.stopImmediatePropagation()
  })

  /** `bytes=a-b` / `bytes=a-` (one range); undefined for none, null for one we do not serve. */
  function parseRange(header) {
    if (!header) return undefined
    const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim())
    if (!m) return null
    const start = Number(m[1])
    const last = m[2] === '' ? undefined : Number(m[2])
    if (!Number.isSafeInteger(start) || (last !== undefined && (!Number.isSafeInteger(last) || last < start))) return null
    return { start, last }
  }

  /** The page's answer to one window, parsed: `{ ok, size, type, bytes }` or `{ ok: false, status }`. */
  function ask(client, token, start, end) {
    return new Promise((resolve) => {
      const channel = new MessageChannel()
      const timer = setTimeout(() => resolve({ ok: false, status: 504 }), ASK_MS)
      channel.port1.onmessage = (e) => {
        clearTimeout(timer)
        const a = e.data
        const fine =
          a && a.ok === true && Number.isSafeInteger(a.size) && typeof a.type === 'string' && a.bytes instanceof Uint8Array &&
          a.bytes.length > 0 && a.bytes.length <= end - start && start + a.bytes.length <= a.size
        resolve(fine ? a : { ok: false, status: a && [404, 416, 502].includes(a.status) ? a.status : 502 })
      }
      client.postMessage({ type: READ, token, start, end }, [channel.port2])
    })
  }

  /** Only the page that made the request is asked: a token is good in the page that registered it. */
  async function firstAnswer(event, token, start, end) {
    const client = event.clientId ? await self.clients.get(event.clientId) : undefined
    if (!client) return { client: undefined, answer: { ok: false, status: 404 } }
    return { client, answer: await ask(client, token, start, end) }
  }

  const plain = (status, headers = {}) => new Response(null, { status, headers: { 'cache-control': 'no-store', ...headers } })

  async function respond(event, token) {
    // Media elements only: opened as a page (a new tab), even a stream of our own would run at our origin.
    if (!TOKEN.test(token) || !MEDIA.has(event.request.destination)) return plain(404)
    const range = parseRange(event.request.headers.get('range'))
    if (range === null) return plain(416)
    const start = range ? range.start : 0
    const wantEnd = range && range.last !== undefined ? range.last + 1 : Infinity
    const { client, answer } = await firstAnswer(event, token, start, Math.min(start + WINDOW, wantEnd))
    if (!answer.ok) {
      if (answer.status === 416) return plain(416, { 'content-range': 'bytes */*' })
      return plain(answer.status)
    }
    const { size, type } = answer
    const end = Math.min(wantEnd, size)
    let at = start
    let first = answer
    const body = new ReadableStream(
      {
        async pull(controller) {
          if (at >= end) return controller.close()
          const a = first ?? (await ask(client, token, at, Math.min(at + WINDOW, end)))
          first = undefined
          if (!a.ok || a.size !== size) return controller.error(new Error(`stream read failed (${a.status ?? 'size changed'})`))
          const bytes = a.bytes.subarray(0, end - at)
          at += bytes.length
          controller.enqueue(bytes)
          if (at >= end) controller.close()
        },
      },
      { highWaterMark: 0 },
    )
    const headers = {
      'content-type': MEDIA_TYPE.test(type) ? type : 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'content-length': String(end - start),
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    }
    if (!range) return new Response(body, { status: 200, headers })
    return new Response(body, { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end - 1}/${size}` } })
  }
})()
