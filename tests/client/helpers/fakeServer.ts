import { randomBytes } from '../../../crypto/index.js'
import { PROTOCOL_VERSION, decodeClientFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../../protocol/index.js'
import type { SocketFactory, SocketLike } from '../../../client/core/sync/transport.js'

/**
 * A socket whose server side is the test: frames the engine sends are decoded into `sent` and
 * passed to `answer`; `deliver` plays a server frame, `deliverRaw` any bytes at all.
 */
export class FakeSocket implements SocketLike {
  binaryType = 'blob'
  readyState = 0
  bufferedAmount = 0
  closed = false
  readonly sent: ClientMessage[] = []
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null

  constructor(private readonly answer: (msg: ClientMessage, socket: FakeSocket) => void) {}

  send(data: Uint8Array): void {
    const decoded = decodeClientFrame(data)
    if (!decoded.ok) return
    this.sent.push(decoded.message)
    this.answer(decoded.message, this)
  }

  close(): void {
    this.closed = true
    this.readyState = 3
  }

  deliver(msg: ServerMessage): void {
    this.deliverRaw(encodeFrame(msg))
  }

  deliverRaw(bytes: Uint8Array): void {
    if (this.closed) return
    this.readyState = 1
    this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
  }

  /** The server's first frame. */
  challenge(): void {
    this.deliver({ type: 'challenge', v: PROTOCOL_VERSION, nonce: randomBytes(32), limits: { maxFrameBytes: 4 << 20, maxEnvelopesPerPush: 256, framesPerSecond: 400 } })
  }
}

/**
 * A server that says yes: `hello` → `welcome`, `join` → `joined`, `push` and `mail` → ack with
 * fresh sseqs. `subscribe` goes to `onSubscribe` (default: caught up at the client's cursor).
 */
export function agreeableServer(onSubscribe?: (msg: Extract<ClientMessage, { type: 'subscribe' }>, s: FakeSocket) => void): { factory: SocketFactory; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = []
  let sseq = 1000
  const answer = (msg: ClientMessage, s: FakeSocket) => {
    switch (msg.type) {
      case 'hello':
        return s.deliver({ type: 'welcome', v: PROTOCOL_VERSION })
      case 'join':
        return s.deliver({ type: 'joined', conv: msg.conv, epoch: msg.epoch })
      case 'push':
        return s.deliver({ type: 'ack', id: msg.id, results: msg.envelopes.map(() => ({ sseq: ++sseq })) })
      case 'mail':
        return s.deliver({ type: 'ack', id: msg.id, results: msg.items.map(() => ({ sseq: ++sseq })) })
      case 'subscribe':
        if (onSubscribe) return onSubscribe(msg, s)
        return s.deliver({ type: 'caught-up', conv: msg.conv, doc: msg.doc, cursor: msg.cursor })
      default:
        return
    }
  }
  const factory: SocketFactory = () => {
    const s = new FakeSocket(answer)
    sockets.push(s)
    return s
  }
  return { factory, sockets }
}

/**
 * Waits in real time, without moving a fake clock, until `check` holds: frame handling awaits
 * real asynchronous work (WebCrypto signatures), which fake time does not drive.
 */
const realSetTimeout = globalThis.setTimeout
export async function settle(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => realSetTimeout(r, 1))
  if (!check()) throw new Error(`never happened: ${what}`)
}
