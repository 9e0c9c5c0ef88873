import { createServer, connect, type Socket } from 'node:net'

/**
 * A TCP proxy in front of the real server (WebSocket and HTTP alike) that can cut the link:
 * `online = false` destroys every connection and refuses new ones; `cutAfter(bytes, way)`
 * destroys every connection once that many more bytes have passed that way. Counts the bytes
 * each way, so a test can tell a resumed transfer from one started over.
 */
export interface TcpProxy {
  readonly port: number
  readonly url: string
  online: boolean
  readonly sent: { up: number; down: number }
  cutAfter(bytes: number, way: 'up' | 'down'): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const sent = { up: 0, down: 0 }
  let cut: { at: number; way: 'up' | 'down'; done: () => void } | undefined
  let online = true
  const cutAll = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  const count = (way: 'up' | 'down', n: number) => {
    sent[way] += n
    if (cut && cut.way === way && sent[way] >= cut.at) {
      const done = cut.done
      cut = undefined
      cutAll()
      done()
    }
  }
  const server = createServer((client) => {
    if (!online) return void client.destroy()
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    // Piped, so the proxy holds back (backpressure) instead of buffering what the reader has not taken.
    client.on('data', (d: Buffer) => count('up', d.length))
    upstream.on('data', (d: Buffer) => count('down', d.length))
    client.pipe(upstream)
    upstream.pipe(client)
    const end = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    port,
    url: `ws://127.0.0.1:${port}/sync`,
    sent,
    get online() {
      return online
    },
    set online(v: boolean) {
      online = v
      if (!v) cutAll()
    },
    cutAfter: (bytes, way) => new Promise<void>((done) => (cut = { at: sent[way] + bytes, way, done })),
    close: () => {
      cutAll()
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}
