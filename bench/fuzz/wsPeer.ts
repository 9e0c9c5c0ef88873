import WebSocket from 'ws'
import { ErrorCode, decodeServerFrame, encodeFrame, isErrorCode, type ServerMessage } from '../../protocol/index.js'
import type { Tally } from './tally.js'

/** Where an episode runs: the server's URL, the phase's counters, and the episode's name for findings. */
export interface EpisodeContext {
  readonly url: string
  readonly tally: Tally
  readonly episode: string
  /** Frames this episode sent. */
  readonly sent: { frames: number }
  /** Connections of this episode still open: the runner closes what an episode left behind (a fuzzer bug must not read as a server's close). */
  readonly peers: Set<{ abandon(): Promise<void> }>
}

/** ws's own closes for broken WebSocket framing: 1002 protocol error, 1007 invalid UTF-8, 1009 message too big. */
export const WS_LEVEL = new Set([1002, 1007, 1009])
const SENTINEL_WAIT_MS = 20_000
const RECENT = 3

/**
 * One fuzzing connection through the `ws` client. Every server frame is parsed as untrusted
 * ([P3]); every `error` must carry a catalogue code ([P7]); a close the server starts must be a
 * 4xxx that follows a fatal error frame with the same code, or ws's own framing close when the
 * episode broke the framing on purpose. Anything else is an uncoded rejection.
 */
export class WsPeer {
  readonly received: ServerMessage[] = []
  /** Ids of mailbox items the server sent this connection (for `mail-done` of real items). */
  readonly mailboxIds: number[] = []
  challenge: Uint8Array = new Uint8Array()
  closeCode: number | undefined
  private lastFatal: number | undefined
  private closingByUs = false
  private readonly recent: (Uint8Array | string)[] = []
  private readonly waiters = new Set<() => void>()
  private lastHeard = performance.now()
  private sentinel: number | undefined
  private sentinelAnswered = false
  /** The server said it holds this peer's frames for budget ([S22]): slow answers are expected. */
  private throttled = false

  private constructor(
    readonly socket: WebSocket,
    private readonly ctx: EpisodeContext,
    private readonly expectWsLevel: boolean,
  ) {}

  /** Connects and waits for the challenge; undefined when the server did not let it in. */
  static async open(ctx: EpisodeContext, options: { expectWsLevel?: boolean } = {}): Promise<WsPeer | undefined> {
    const socket = new WebSocket(ctx.url, { perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 64 * 1024 * 1024 })
    const peer = new WsPeer(socket, ctx, options.expectWsLevel ?? false)
    ctx.tally.connections++
    ctx.peers.add(peer)
    let opened = false
    socket.binaryType = 'nodebuffer'
    socket.on('open', () => (opened = true))
    socket.on('error', () => undefined)
    socket.on('message', (data: Buffer, isBinary: boolean) => peer.onMessage(data, isBinary))
    socket.on('close', (code: number) => {
      ctx.peers.delete(peer)
      peer.closeCode = code
      if (opened) peer.onClose(code)
      peer.wake()
    })
    const challenge = await peer.until(() => peer.received.find((m) => m.type === 'challenge'), 10_000)
    if (challenge?.type === 'challenge') {
      peer.challenge = challenge.nonce
      return peer
    }
    if (!opened) ctx.tally.find('connect-failed', 'the WebSocket upgrade did not complete', ctx.episode)
    else if (peer.closeCode === undefined) ctx.tally.find('hung', 'no challenge within 10 s of the upgrade', ctx.episode)
    await peer.close()
    return undefined
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN
  }

  lastFrames(): readonly (Uint8Array | string)[] {
    return this.recent
  }

  /** Sends one frame as soon as the socket takes it (floods wait only for the socket's own buffer). */
  async send(frame: Uint8Array | string): Promise<void> {
    if (!this.open) return
    while (this.open && this.socket.bufferedAmount > 1024 * 1024) await new Promise((r) => setTimeout(r, 2))
    if (!this.open) return
    this.ctx.tally.frames++
    this.ctx.sent.frames++
    this.recent.push(frame)
    if (this.recent.length > RECENT) this.recent.shift()
    this.socket.send(frame)
  }

  sendMessage(msg: Parameters<typeof encodeFrame>[0]): Promise<void> {
    return this.send(encodeFrame(msg))
  }

  /** Resolves with `probe()`'s first truthy value, or undefined once the socket closed or `ms` passed. */
  async until<T>(probe: () => T | undefined | false, ms: number): Promise<T | undefined> {
    const deadline = performance.now() + ms
    for (;;) {
      const hit = probe()
      if (hit) return hit
      if (this.closeCode !== undefined || performance.now() > deadline) return undefined
      await new Promise<void>((resolve) => {
        const done = () => (clearTimeout(timer), this.waiters.delete(done), resolve())
        const timer = setTimeout(done, Math.max(1, Math.min(250, deadline - performance.now())))
        this.waiters.add(done)
      })
    }
  }

  /**
   * Ends the episode: a sentinel ping, answered in arrival order after everything before it
   * ([S6]); then the fuzzer closes. A connection that answers nothing for 20 s is hung, unless
   * the server said it was holding this peer's frames for budget ([S22]).
   */
  async finish(): Promise<void> {
    if (this.open) {
      const t = -(performance.now() + Math.random())
      this.sentinel = t
      await this.send(encodeFrame({ type: 'ping', t }))
      const answered = await this.until(() => this.sentinelAnswered, SENTINEL_WAIT_MS)
      if (!answered && this.closeCode === undefined && !this.throttled) {
        this.ctx.tally.find('hung', `no answer to a ping for ${SENTINEL_WAIT_MS / 1000} s (last frame heard ${Math.round(performance.now() - this.lastHeard)} ms ago)`, this.ctx.episode, this.recent)
      }
    }
    await this.close()
  }

  abandon(): Promise<void> {
    return this.close()
  }

  /** The fuzzer's own close: never counted against the server. */
  async close(): Promise<void> {
    if (this.closeCode !== undefined) return
    this.closingByUs = true
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) this.socket.close(1000)
    const done = await this.until(() => this.closeCode !== undefined, 3_000)
    if (!done) this.socket.terminate()
    await this.until(() => this.closeCode !== undefined, 1_000)
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.lastHeard = performance.now()
    const tally = this.ctx.tally
    const decoded = isBinary ? decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) : { ok: false as const, reason: 'a text frame' }
    if (!decoded.ok) {
      tally.find('invalid-server-frame', `the server sent a frame its own schema refuses: ${decoded.reason}`, this.ctx.episode, this.recent)
      return this.wake()
    }
    const msg = decoded.message
    // Keep what episodes wait for, not every backlog page.
    if (msg.type !== 'envelopes' && msg.type !== 'snapshots') this.received.push(msg)
    if (this.received.length > 4096) this.received.splice(0, 2048)
    if (msg.type === 'pong' && msg.t === this.sentinel) this.sentinelAnswered = true
    if (msg.type === 'error') {
      if (msg.code === ErrorCode.RATE_LIMITED) this.throttled = true
      if (!isErrorCode(msg.code)) tally.find('uncoded', `error frame with code ${msg.code}, not in protocol/errors.ts`, this.ctx.episode, this.recent)
      else tally.bump(tally.rejectionsByCode, msg.code)
      if (msg.fatal) this.lastFatal = msg.code
    } else if (msg.type === 'ack') {
      for (const r of msg.results) {
        if (!('code' in r)) continue
        if (!isErrorCode(r.code)) tally.find('uncoded', `ack result with code ${r.code}, not in protocol/errors.ts`, this.ctx.episode, this.recent)
        else tally.bump(tally.ackCodes, r.code)
      }
    } else if (msg.type === 'mailbox') {
      for (const item of msg.items) this.mailboxIds.push(item.id)
      if (this.mailboxIds.length > 2000) this.mailboxIds.splice(0, 1000)
    }
    this.wake()
  }

  private onClose(code: number): void {
    const tally = this.ctx.tally
    // Our close is echoed with our code (1000); anything else came from the server first.
    if (this.closingByUs && code === 1000) return void tally.fuzzerCloses++
    tally.bump(tally.closesByCode, code)
    if (WS_LEVEL.has(code)) {
      tally.bump(tally.wsLevelCloses, code)
      if (!this.expectWsLevel) tally.find('uncoded', `ws closed the socket with ${code} on an episode that kept the WebSocket framing`, this.ctx.episode, this.recent)
      return
    }
    const fatal = this.lastFatal
    if (code >= 4000 && code < 5000) {
      if (fatal === undefined || 4000 + (fatal % 1000) !== code) tally.find('uncoded', `close ${code} without a fatal error frame of that code (last fatal: ${fatal ?? 'none'})`, this.ctx.episode, this.recent)
      return
    }
    // 1006: no close frame. After a fatal error it is the server cutting off a peer that did not finish the close ([S6]).
    if (code === 1006 && fatal !== undefined) return
    if (this.closingByUs && code === 1006) return void tally.fuzzerCloses++
    tally.find('uncoded', `closed by the server with ${code} and no coded error frame`, this.ctx.episode, this.recent)
  }
}
