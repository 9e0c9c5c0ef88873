import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { decodeServerFrame, isErrorCode, type ServerMessage } from '../../protocol/index.js'
import type { EpisodeContext } from './wsPeer.js'
import { WS_LEVEL } from './wsPeer.js'

/**
 * A WebSocket client written by hand over a TCP socket, for what the `ws` client will not do:
 * dribble a frame a byte at a time, stop half-way through a frame or an HTTP upgrade, and break
 * the WebSocket framing itself (reserved bits and opcodes, unmasked frames, oversized control
 * frames). It parses the server's side (HTTP status, then unmasked frames) to judge the outcome.
 */
export class RawPeer {
  readonly received: ServerMessage[] = []
  httpStatus: number | undefined
  closeCode: number | undefined
  /** The TCP connection ended (by either side). */
  ended = false
  private buffer = Buffer.alloc(0)
  private upgraded = false
  private lastFatal: number | undefined
  private closingByUs = false
  private readonly waiters = new Set<() => void>()
  readonly sent: Uint8Array[] = []

  private constructor(
    readonly socket: Socket,
    private readonly ctx: EpisodeContext,
  ) {}

  static async connect(ctx: EpisodeContext, port: number): Promise<RawPeer | undefined> {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    const peer = new RawPeer(socket, ctx)
    ctx.tally.connections++
    ctx.peers.add(peer)
    socket.on('data', (d: Buffer) => peer.onData(d))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      peer.ended = true
      peer.wake()
    })
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true))
      socket.once('error', () => resolve(false))
    })
    if (!ok) ctx.tally.find('connect-failed', 'TCP connect refused', ctx.episode)
    return ok ? peer : undefined
  }

  /** The upgrade request for `path` (complete, or cut after `cut` bytes). */
  static upgradeRequest(path = '/sync', extra = ''): string {
    return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  }

  write(bytes: Uint8Array | string): void {
    if (!this.ended && this.socket.writable) this.socket.write(bytes)
  }

  /** Writes bytes one at a time, `gapMs` apart. */
  async dribble(bytes: Uint8Array, gapMs: number): Promise<void> {
    for (const b of bytes) {
      if (this.ended) return
      this.write(Uint8Array.of(b))
      await new Promise((r) => setTimeout(r, gapMs))
    }
  }

  /** Counts a WebSocket frame as sent and keeps it for findings. */
  noteFrame(frame: Uint8Array): void {
    this.ctx.tally.frames++
    this.ctx.sent.frames++
    this.sent.push(frame)
    if (this.sent.length > 3) this.sent.shift()
  }

  async until<T>(probe: () => T | undefined | false, ms: number): Promise<T | undefined> {
    const deadline = performance.now() + ms
    for (;;) {
      const hit = probe()
      if (hit) return hit
      if (this.ended || performance.now() > deadline) return undefined
      await new Promise<void>((resolve) => {
        const done = () => (clearTimeout(timer), this.waiters.delete(done), resolve())
        const timer = setTimeout(done, Math.max(1, Math.min(250, deadline - performance.now())))
        this.waiters.add(done)
      })
    }
  }

  async waitUpgraded(ms = 10_000): Promise<Uint8Array | undefined> {
    const challenge = await this.until(() => this.received.find((m) => m.type === 'challenge'), ms)
    return challenge?.type === 'challenge' ? challenge.nonce : undefined
  }

  async abandon(): Promise<void> {
    if (!this.ended) this.close()
    this.judge(false)
  }

  /** The fuzzer ends the connection: not counted against the server. */
  close(): void {
    this.closingByUs = true
    this.socket.destroy()
  }

  /**
   * How the server ended this connection, judged like WsPeer's: a 4xxx after a fatal error of the
   * same code, ws's framing close when `brokeFraming`, an HTTP refusal before any upgrade, or a
   * close by us. Returns false when the connection is still open.
   */
  judge(brokeFraming: boolean): boolean {
    this.ctx.peers.delete(this)
    const tally = this.ctx.tally
    if (this.closingByUs) {
      tally.fuzzerCloses++
      return true
    }
    if (!this.upgraded) {
      if (!this.ended) return false
      tally.bump(tally.httpOutcomes, this.httpStatus ?? 'closed')
      return true
    }
    if (this.closeCode === undefined) {
      if (!this.ended) return false
      // The TCP connection ended with no close frame: fine only after a fatal error (the server cuts off a peer that does not answer its close).
      if (this.lastFatal === undefined) tally.find('uncoded', 'the server ended the TCP connection without a close frame or a coded error', this.ctx.episode, this.sent)
      tally.bump(tally.closesByCode, 1006)
      return true
    }
    const code = this.closeCode
    tally.bump(tally.closesByCode, code)
    if (WS_LEVEL.has(code)) {
      tally.bump(tally.wsLevelCloses, code)
      if (!brokeFraming) tally.find('uncoded', `ws closed with ${code} though the framing was valid`, this.ctx.episode, this.sent)
    } else if (code >= 4000 && code < 5000) {
      if (this.lastFatal === undefined || 4000 + (this.lastFatal % 1000) !== code) tally.find('uncoded', `close ${code} without a fatal error of that code`, this.ctx.episode, this.sent)
    } else {
      tally.find('uncoded', `closed with ${code} and no coded error frame`, this.ctx.episode, this.sent)
    }
    return true
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n')
      if (end < 0) return this.wake()
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(this.buffer.subarray(0, end).toString('latin1'))?.[1] ?? 0)
      this.httpStatus = status
      this.buffer = this.buffer.subarray(end + 4)
      if (status !== 101) return this.wake()
      this.upgraded = true
    }
    this.parseFrames()
    this.wake()
  }

  /** Server frames are unmasked ([RFC 6455 §5.1]); the server sends no fragments. */
  private parseFrames(): void {
    for (;;) {
      const b = this.buffer
      if (b.length < 2) return
      const opcode = b[0]! & 0x0f
      let len = b[1]! & 0x7f
      let at = 2
      if (len === 126) {
        if (b.length < 4) return
        len = b.readUInt16BE(2)
        at = 4
      } else if (len === 127) {
        if (b.length < 10) return
        len = Number(b.readBigUInt64BE(2))
        at = 10
      }
      if (b.length < at + len) return
      const payload = b.subarray(at, at + len)
      this.buffer = b.subarray(at + len)
      if (opcode === 0x8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
      } else if (opcode === 0x2) {
        const decoded = decodeServerFrame(new Uint8Array(payload))
        if (!decoded.ok) {
          this.ctx.tally.find('invalid-server-frame', `the server sent a frame its own schema refuses: ${decoded.reason}`, this.ctx.episode, this.sent)
          continue
        }
        const msg = decoded.message
        this.received.push(msg)
        if (msg.type === 'error') {
          if (!isErrorCode(msg.code)) this.ctx.tally.find('uncoded', `error frame with code ${msg.code}`, this.ctx.episode, this.sent)
          else this.ctx.tally.bump(this.ctx.tally.rejectionsByCode, msg.code)
          if (msg.fatal) this.lastFatal = msg.code
        }
      }
    }
  }
}

/**
 * A client frame (masked, as RFC 6455 requires of clients) with every header bit under the
 * caller's control: FIN, the three RSV bits, the opcode, the mask, and a declared length that
 * may differ from the payload's.
 */
export function clientFrame(payload: Uint8Array, options: { opcode?: number; fin?: boolean; rsv?: number; masked?: boolean; declaredLength?: number | bigint } = {}): Uint8Array {
  const { opcode = 0x2, fin = true, rsv = 0, masked = true } = options
  const declared = BigInt(options.declaredLength ?? payload.length)
  const lenBytes = declared < 126n ? 0 : declared < 0x1_0000n ? 2 : 8
  const out = Buffer.alloc(2 + lenBytes + (masked ? 4 : 0) + payload.length)
  out[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)
  out[1] = (masked ? 0x80 : 0) | (lenBytes === 0 ? Number(declared) : lenBytes === 2 ? 126 : 127)
  if (lenBytes === 2) out.writeUInt16BE(Number(declared), 2)
  if (lenBytes === 8) out.writeBigUInt64BE(declared, 2)
  let at = 2 + lenBytes
  const mask = masked ? randomBytes(4) : undefined
  if (mask) {
    mask.copy(out, at)
    at += 4
  }
  for (let i = 0; i < payload.length; i++) out[at + i] = mask ? payload[i]! ^ mask[i & 3]! : payload[i]!
  return out
}
