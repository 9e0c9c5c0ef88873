import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { makeNodeBlobFetch, nodeBlobFetch } from '../../../client/node/blobFetch.js'

/**
 * client/node/blobFetch.ts's GET through node:http, against a real local server: what the
 * downloads read (status, headers, every byte in order) and the ways a link fails mid-body (a
 * cut socket, a cancelled read, an abort), each of which must end the body with an error, never
 * with a short body that looks complete.
 */
const MiB = 1024 * 1024
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 11)) & 0xff)
const body = pattern(8 * MiB)
let server: Server
let base = ''
/** Each request's response, for tests that watch the server side. */
const responses: ServerResponse[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    responses.push(res)
    if (req.url === '/whole') {
      res.writeHead(206, { 'content-type': 'application/octet-stream', 'x-seen-range': req.headers.range ?? '-', 'content-length': body.length })
      res.end(body)
    } else if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': body.length })
      res.write(body.subarray(0, MiB), () => setTimeout(() => res.socket?.destroy(), 20))
    } else if (req.url === '/mute') {
      // Never answers.
    } else if (req.url === '/slow') {
      res.writeHead(200, { 'content-length': body.length })
      res.write(body.subarray(0, 256 * 1024))
    } else {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { code: 'B404', message: 'no such blob' } }))
    }
  })
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for (const reader = stream.getReader(); ; ) {
    const { done, value } = await reader.read()
    if (done) break
    parts.push(value)
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0)
  return out
}

test('a GET keeps the status, the headers it sent and every byte in order', async () => {
  const res = await nodeBlobFetch(`${base}/whole`, { method: 'GET', headers: { range: 'bytes=0-' } })
  expect(res.status).toBe(206)
  expect(res.headers.get('x-seen-range')).toBe('bytes=0-')
  expect(res.headers.get('content-type')).toBe('application/octet-stream')
  expect(Buffer.from(await readAll(res.body!)).equals(Buffer.from(body))).toBe(true)
})

test('an error answer reads as JSON, as the blob client reads it', async () => {
  const res = await nodeBlobFetch(`${base}/missing`, { method: 'GET' })
  expect(res.ok).toBe(false)
  expect(await res.json()).toEqual({ error: { code: 'B404', message: 'no such blob' } })
})

test('a socket cut mid-body ends the body with an error, not a short body', async () => {
  const res = await nodeBlobFetch(`${base}/cut`, { method: 'GET' })
  await expect(readAll(res.body!)).rejects.toThrow()
})

test('an abort mid-body ends the body with an error; a cancelled body closes the connection', async () => {
  const abort = new AbortController()
  const res = await nodeBlobFetch(`${base}/slow`, { method: 'GET', signal: abort.signal })
  const reader = res.body!.getReader()
  expect((await reader.read()).value!.length).toBeGreaterThan(0)
  abort.abort()
  await expect((async () => { for (;;) if ((await reader.read()).done) return })()).rejects.toThrow()

  const second = await nodeBlobFetch(`${base}/slow`, { method: 'GET' })
  const served = responses.at(-1)!
  await second.body!.cancel()
  await expect.poll(() => served.socket === null || served.socket.destroyed || served.writableEnded).toBe(true)
})

test('a body whose server goes silent, or a server that never answers, fails after the idle time (node:http has no timeout of its own)', async () => {
  const res = await makeNodeBlobFetch(300)(`${base}/slow`, { method: 'GET' })
  await expect(readAll(res.body!)).rejects.toThrow(/no bytes from the server/)
  // One that never answers at all: the request itself fails.
  await expect(makeNodeBlobFetch(300)(`${base}/mute`, { method: 'GET' })).rejects.toThrow(/no bytes from the server/)
})

test('a connection refused rejects the request itself', async () => {
  const closed = createServer()
  await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', ready))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((done) => closed.close(() => done()))
  await expect(nodeBlobFetch(`http://127.0.0.1:${port}/whole`, { method: 'GET' })).rejects.toThrow()
})
