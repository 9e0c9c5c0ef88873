/**
 * The floor of `npm run bench:files`: the same bytes over loopback HTTP to a plain Node `http`
 * server that writes them to disk and reads them back — no encryption, no hashing, no fsync,
 * Node's default stream buffers. One script, three roles, each run as its own process:
 *
 *   serve DIR       PUT /f/NAME streams the body into DIR/NAME (201 when it is written);
 *                   GET /f/NAME streams it back. Prints {"port":N} when listening.
 *   put URL PATH    streams the file at PATH as the body of one PUT.
 *   get URL OUT     streams the body of one GET into OUT.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

const NAME = /^\/f\/([A-Za-z0-9_-]{1,64})$/

function serve(dir: string): void {
  const server = createServer(async (req, res) => {
    const name = NAME.exec(req.url ?? '')?.[1]
    if (!name) return void res.writeHead(404).end()
    const path = join(dir, name)
    try {
      if (req.method === 'PUT') {
        await pipeline(req, createWriteStream(path))
        res.writeHead(201).end()
      } else if (req.method === 'GET') {
        const { size } = await stat(path)
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size })
        await pipeline(createReadStream(path), res)
      } else res.writeHead(405).end()
    } catch (err) {
      if (res.headersSent) res.destroy()
      else res.writeHead(500).end(String(err))
    }
  })
  // Node's default cuts a request after 300 s; a slow run of a large file must not be cut.
  server.requestTimeout = 0
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })))
  process.once('SIGTERM', () => server.close(() => process.exit(0)))
}

async function put(url: string, path: string): Promise<void> {
  const { size } = await stat(path)
  const req = request(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': size } })
  const answered = new Promise<IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject))
  await pipeline(createReadStream(path), req)
  const res = await answered
  res.resume()
  if (res.statusCode !== 201) throw new Error(`PUT answered ${res.statusCode}`)
  console.log(JSON.stringify({ bytes: size }))
}

async function get(url: string, out: string): Promise<void> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => request(url, resolve).once('error', reject).end())
  if (res.statusCode !== 200) throw new Error(`GET answered ${res.statusCode}`)
  await pipeline(res, createWriteStream(out))
  console.log(JSON.stringify({ bytes: (await stat(out)).size }))
}

const [role, a, b] = process.argv.slice(2)
if (role === 'serve' && a) serve(a)
else if (role === 'put' && a && b) await put(a, b)
else if (role === 'get' && a && b) await get(a, b)
else {
  console.error('usage: floor serve DIR | put URL PATH | get URL OUT')
  process.exit(2)
}
