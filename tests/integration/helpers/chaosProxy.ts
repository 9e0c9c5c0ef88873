import { WebSocketServer, WebSocket } from 'ws'
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../../protocol/index.js'

/**
 * A man-in-the-middle between clients and the real server that delivers envelopes one per
 * frame, duplicated and out of order (within a window). Everything else passes through.
 */
export interface ChaosProxy {
  readonly url: string
  close(): Promise<void>
}

export async function startChaosProxy(target: string, random: () => number, options = { duplicate: 0.3, window: 8 }): Promise<ChaosProxy> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((r) => wss.once('listening', r))
  wss.on('connection', (client) => {
    const upstream = new WebSocket(target)
    const early: Buffer[] = []
    let held: ServerMessage[] = []
    let timer: NodeJS.Timeout | undefined
    const release = () => {
      timer = undefined
      const batch = held
      held = []
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[batch[i], batch[j]] = [batch[j]!, batch[i]!]
      }
      for (const msg of batch) if (client.readyState === client.OPEN) client.send(encodeFrame(msg))
    }
    upstream.on('open', () => early.splice(0).forEach((f) => upstream.send(f)))
    client.on('message', (data: Buffer) => (upstream.readyState === upstream.OPEN ? upstream.send(data) : early.push(data)))
    upstream.on('message', (data: Buffer) => {
      const decoded = decodeServerFrame(new Uint8Array(data))
      if (!decoded.ok || decoded.message.type !== 'envelopes') {
        if (held.length) release() // keep control messages (caught-up, acks) after what came before
        return client.send(data)
      }
      const msg = decoded.message
      for (const item of msg.items) {
        held.push({ ...msg, items: [item] })
        if (random() < options.duplicate) held.push({ ...msg, items: [item] })
      }
      if (held.length >= options.window) release()
      else timer ??= setTimeout(release, 20)
    })
    const closeBoth = () => {
      clearTimeout(timer)
      client.close()
      upstream.close()
    }
    client.on('close', closeBoth)
    upstream.on('close', closeBoth)
    upstream.on('error', closeBoth)
    client.on('error', closeBoth)
  })
  const address = wss.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate()
      wss.close(() => r())
    }),
  }
}
