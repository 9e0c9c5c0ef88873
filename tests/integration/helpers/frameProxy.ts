import { connect, createServer, type Socket } from 'node:net'

/**
 * A faulty hop at the TCP level between devices and the real server on 127.0.0.1 (a middlebox, a
 * hop without TLS). Bytes from a device pass untouched. Bytes from the server pass too, but the
 * WebSocket stream is cut into frames (RFC 6455 §5.2, minimally: server frames are unmasked and
 * the server sends no permessage-deflate) and every complete binary frame's payload goes through
 * `onServerFrame`, which may return it, other bytes of any length, or undefined to drop the frame.
 */
export interface FrameProxy {
  /** The proxy's `ws://…/sync` URL. */
  readonly url: string
  onServerFrame: (payload: Buffer) => Buffer | undefined
  close(): Promise<void>
}

export async function startFrameProxy(targetPort: number): Promise<FrameProxy> {
  const sockets = new Set<Socket>()
  const proxy: FrameProxy = { url: '', onServerFrame: (p) => p, close: async () => undefined }
  const server = createServer((device) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const s of [device, upstream]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => {
        sockets.delete(s)
        device.destroy()
        upstream.destroy()
      })
    }
    device.on('data', (d: Buffer) => upstream.write(d))
    const frames = new ServerStream((out) => device.write(out), (payload) => proxy.onServerFrame(payload))
    upstream.on('data', (d: Buffer) => frames.push(d))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return Object.assign(proxy, {
    url: `ws://127.0.0.1:${port}/sync`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  })
}

/** The server → device direction: the HTTP upgrade answer as it is, then frame by frame. */
class ServerStream {
  private buffer = Buffer.alloc(0)
  private upgraded = false

  constructor(private readonly write: (b: Buffer) => void, private readonly binary: (payload: Buffer) => Buffer | undefined) {}

  push(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data])
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n')
      if (end < 0) return
      this.write(this.buffer.subarray(0, end + 4))
      this.buffer = this.buffer.subarray(end + 4)
      this.upgraded = true
    }
    for (;;) {
      const frame = nextFrame(this.buffer)
      if (!frame) return
      const raw = this.buffer.subarray(0, frame.end)
      this.buffer = this.buffer.subarray(frame.end)
      // A whole, unmasked, uncompressed binary message: the only kind whose payload is shown.
      if (frame.opcode !== 2 || !frame.fin || frame.masked || frame.rsv !== 0) {
        this.write(raw)
        continue
      }
      const out = this.binary(raw.subarray(frame.start))
      if (out) this.write(Buffer.concat([header(out.length), out]))
    }
  }
}

function nextFrame(b: Buffer): { opcode: number; fin: boolean; masked: boolean; rsv: number; start: number; end: number } | undefined {
  if (b.length < 2) return undefined
  const short = b[1]! & 0x7f
  const extra = short === 126 ? 2 : short === 127 ? 8 : 0
  const masked = (b[1]! & 0x80) !== 0
  const start = 2 + extra + (masked ? 4 : 0)
  if (b.length < start) return undefined
  const length = short === 126 ? b.readUInt16BE(2) : short === 127 ? Number(b.readBigUInt64BE(2)) : short
  if (b.length < start + length) return undefined
  return { opcode: b[0]! & 0x0f, fin: (b[0]! & 0x80) !== 0, masked, rsv: b[0]! & 0x70, start, end: start + length }
}

/** A final, unmasked binary frame's header for a payload of `length` bytes. */
function header(length: number): Buffer {
  if (length < 126) return Buffer.from([0x82, length])
  if (length < 65536) {
    const h = Buffer.from([0x82, 126, 0, 0])
    h.writeUInt16BE(length, 2)
    return h
  }
  const h = Buffer.alloc(10)
  h[0] = 0x82
  h[1] = 127
  h.writeBigUInt64BE(BigInt(length), 2)
  return h
}
