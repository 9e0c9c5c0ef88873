import { createReadStream, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}

/** Serves the built PWA from `root` (SPA fallback to index.html). Never reads outside `root`. */
export function staticHandler(root: string | undefined) {
  const base = root ? resolve(root) : undefined
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!base) return void notFound(res)
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end()
    let path: string
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    } catch {
      return void res.writeHead(400).end()
    }
    let file = normalize(join(base, path))
    if (file !== base && !file.startsWith(base + sep)) return void notFound(res)
    let stat = safeStat(file)
    if (stat?.isDirectory()) stat = safeStat((file = join(file, 'index.html')))
    if (!stat && !extname(path)) stat = safeStat((file = join(base, 'index.html')))
    if (!stat) return void notFound(res)
    const name = file.slice(base.length)
    const immutable = name.startsWith(`${sep}assets${sep}`)
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    if (req.method === 'HEAD') return void res.end()
    createReadStream(file).pipe(res)
  }
}

/** [S42] Where the PWA asks which origin its invitation links and QR codes should carry. */
export const CONFIG_PATH = '/v1/config'

export const isConfigPath = (url: string | undefined): boolean => url === CONFIG_PATH || url?.startsWith(`${CONFIG_PATH}?`) === true

/**
 * [S42] GET /v1/config: `{"publicUrl": "https://…"}`, or `null` without --public-url (the app then
 * uses the origin it was opened at). A JSON fetch the CSP's `connect-src 'self'` already allows,
 * asked afresh each time a link is made, so a restart with another public URL is seen at once (a
 * value baked into index.html would stay in the service worker's precache until the next build).
 */
export function configHandler(publicUrl: string | undefined) {
  const body = JSON.stringify({ publicUrl: publicUrl ?? null })
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end()
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}

function safeStat(file: string) {
  try {
    const s = statSync(file)
    return s.isFile() || s.isDirectory() ? s : undefined
  } catch {
    return undefined
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found')
}
