import { EnvelopeAuthors, createSigner, deriveMailboxKey, mailboxProofBytes, type MailboxKey, deviceAuthBytes, type Signer } from '../../../crypto/index.js'
import {
  PROTOCOL_VERSION, convIdOf, decodeServerFrame, docIdOf, encodeFrame, idBytes,
  type ClientMessage, type ConvId, type DocId, type ServerMessage, type PushRegister, type PushUnregister, type Wake,
} from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import { ClientErrorCode } from '../errors.js'
import { Emitter } from '../events.js'
import type { Identity } from '../identity.js'
import type { Outbox } from '../outbox/outbox.js'
import { JoinRetry } from './joinRetry.js'
import { ProxyRekeys, type ProxyRekey } from './proxyRekey.js'
import type { ConnectionState, EngineEvents } from './engineEvents.js'
import { Pusher } from './push.js'
import { Receiver, type Damaged } from './receive.js'
import { Subscriptions, GAP_WAIT_MS } from './subscriptions.js'
import type { Registry } from '../conversations/registry.js'
import { onServerError, type ServerErrorDeps } from './serverError.js'
import { TurnRequests, type IceServer } from './turnRequests.js'
import { OPEN, frameBytes, type SocketLike } from './transport.js'
import type { EngineOptions } from './engineOptions.js'
import { joinMessage } from './join.js'

export type { ConnectionState, EngineEvents } from './engineEvents.js'
export type { EngineOptions } from './engineOptions.js'

/**
 * Moves encrypted batches between the local documents and the blind server.
 *
 * Key invariants:
 *  1. Received frames are handled one at a time, in arrival order.
 *  2. A document's cursor is saved only after the changes below it are in local storage, so a
 *     crash replays from an older cursor (duplicates are harmless) and never skips.
 *  3. Nothing is applied from an envelope that fails any check ([E2]–[E10]); nothing partial.
 *  4. Sealing and pushing run in one loop at a time, so seq numbers are never reused.
 *  5. A live envelope is applied only once every sseq of its document below it arrived, is this
 *     device's own, or was left out of a backlog; so a cursor never passes what was lost on the
 *     way, and a hole that does not fill is fetched again from the saved cursor ([M33]).
 *  6. A frame that cannot be read ends its connection. No frame of a socket the engine has let
 *     go of (damaged, closed or silent) is handled after that, so nothing received behind a
 *     damaged frame moves a cursor: the next connection resumes from the saved cursors ([M33]).
 *
 * Subscriptions and their live sequences are in `subscriptions.ts`, receiving in `receive.ts`,
 * sealing and pushing in `push.ts`, error frames in `serverError.ts`.
 */
export class SyncEngine {
  readonly events = new Emitter<EngineEvents>()
  private socket: SocketLike | undefined
  private ready = false
  private stopped = true
  private attempt = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private lastFrameAt = 0
  /** [M33] Connections ended in a row for a damaged frame: their reconnects back off. */
  private damaged = 0
  private inbound: Promise<void> = Promise.resolve()
  /** Frames received and not yet handled (a backlog being read while this is above zero). */
  private inboundDepth = 0
  private readonly signer: Signer
  private readonly mailbox: MailboxKey
  /** Conversations the server confirmed on this connection, at the epoch it confirmed. */
  private readonly joined = new Map<ConvId, number>()
  private readonly joining = new Set<ConvId>()
  private readonly unregistered = new JoinRetry((conv) => void this.rejoin(conv))
  private readonly proxies = new ProxyRekeys((m) => this.send(m), (conv, outcome, epoch) => this.events.emit('proxyRekey', { conv, outcome, ...(epoch !== undefined ? { epoch } : {}) }))
  private readonly receiver: Receiver
  private readonly subs: Subscriptions
  private readonly pusher: Pusher
  private readonly errors: ServerErrorDeps
  /** [M70] TURN credential requests on the current connection. */
  private readonly turn = new TurnRequests()
  state: ConnectionState = 'offline'

  constructor(
    private readonly identity: Identity,
    private readonly registry: Registry,
    docs: DocStore,
    outbox: Outbox,
    private readonly options: EngineOptions,
  ) {
    this.signer = createSigner(identity.keys.signSecret)
    this.mailbox = deriveMailboxKey(identity.keys.signSecret)
    this.receiver = new Receiver({ registry, docs, events: this.events, isRoot: options.isRoot, memberOfEpoch: options.memberOfEpoch, epochRank: options.epochRank, recordEpochs: options.recordEpochs })
    this.subs = new Subscriptions({
      registry, receiver: this.receiver, events: this.events, backoff: this.backoff, gapWaitMs: options.gapWaitMs ?? GAP_WAIT_MS,
      send: (m) => this.send(m),
      syncing: () => this.setState('syncing'),
      enqueue: (work) => this.enqueue(work),
    })
    this.pusher = new Pusher({
      registry, docs, outbox, authors: new EnvelopeAuthors(identity.keys.signSecret), events: this.events, mail: options.mail, snapshotEvery: options.snapshotEvery, joined: this.joined, noticesMayGo: options.noticesMayGo,
      ready: () => this.ready,
      open: () => this.socket?.readyState === OPEN,
      send: (m) => this.send(m),
      updateState: () => this.updateState(),
      isRoot: options.isRoot ?? ((conv, doc) => doc === (conv as string)),
      stored: (conv, doc, sseq) => this.subs.own(conv, doc, sseq),
    })
    this.errors = {
      registry, events: this.events, proxies: this.proxies, unregistered: this.unregistered, joining: this.joining,
      versionMismatch: () => this.versionMismatch(),
      rejoin: (conv) => this.rejoin(conv),
      updateState: () => this.updateState(),
      turnRefused: () => this.turn.refused(),
    }
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.connect()
    this.heartbeat = setInterval(() => this.checkHeartbeat(), this.options.heartbeatMs ?? 15_000)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    clearInterval(this.heartbeat)
    this.socket?.close(1000, 'bye')
    this.dropSocket()
    await this.inbound
    await this.receiver.checkpoint()
  }

  /**
   * Settles once the frames received so far are handled (their mail acknowledged) and no sealing
   * or pushing runs: what a wipe waits for before it stops the engine ([M30]).
   */
  async idle(): Promise<void> {
    await this.inbound
    await this.pusher.settled()
  }

  /** Reconnect now (the browser's `online` event, a person pressing "Retry"). */
  kick(): void {
    if (this.stopped) return
    this.attempt = 0
    if (!this.socket) {
      clearTimeout(this.retryTimer)
      this.connect()
    }
  }

  /** A conversation was created or joined while running: join and subscribe it. */
  async track(conv: ConvId): Promise<void> {
    if (this.ready) await this.joinConversation(conv)
    this.requestFlush()
  }

  /** A segment appeared in a conversation's root: subscribe it. */
  trackDoc(conv: ConvId, doc: DocId): void {
    if (this.ready && this.joined.has(conv)) this.subs.subscribe(conv, doc)
  }

  /**
   * [M71] A segment was dropped on this device: its subscription ends (the server is told) and
   * nothing of it is fetched again; `docsOf` no longer lists it, so no later connection asks.
   */
  untrackDoc(conv: ConvId, doc: DocId): void {
    if (this.subs.unsubscribe(conv, doc) && this.ready) this.send({ type: 'unsubscribe', conv: idBytes(conv), doc: idBytes(doc) })
    this.updateState()
  }

  /**
   * [M71] This connection's subscription to the document has caught up ([S5]): what this device
   * holds of it is all the server had when it asked. False offline.
   */
  caughtUp(conv: ConvId, doc: DocId): boolean {
    return this.ready && this.joined.has(conv) && this.subs.caughtUp(conv, doc)
  }

  /** Seal and push whatever the outbox holds, as soon as possible. */
  requestFlush(): void {
    this.pusher.requestFlush()
  }

  private connect(): void {
    this.setState('connecting')
    let socket: SocketLike
    try {
      socket = this.options.socket(this.options.url)
    } catch {
      return this.scheduleRetry()
    }
    socket.binaryType = 'arraybuffer'
    this.socket = socket
    this.lastFrameAt = Date.now()
    socket.onmessage = (ev) => {
      this.lastFrameAt = Date.now()
      const bytes = frameBytes(ev.data)
      if (!bytes) return
      // Invariant 1: one frame at a time, in order. Invariant 6: none of a socket let go of.
      this.enqueue(async () => (this.socket === socket ? this.onFrame(bytes) : undefined))
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.dropSocket()
      this.scheduleRetry()
    }
    socket.onerror = () => socket.close()
  }

  private enqueue(work: () => Promise<void>): void {
    this.inboundDepth++
    this.inbound = this.inbound
      .then(work)
      .catch((err: unknown) => {
        this.events.emit('problem', { code: ClientErrorCode.CHANGE_UNREADABLE, detail: String(err) })
      })
      .finally(() => void this.inboundDepth--)
  }

  /**
   * Received frames wait to be handled (a catch-up's backlog, a burst): work that can wait (the
   * search index, client/core [M53]) yields to them, so what arrives is readable sooner.
   */
  receiving(): boolean {
    return this.inboundDepth > 0
  }

  /**
   * [M33] Invariant 6: a damaged frame ends the connection. What it carried, and everything after
   * it, comes again from the saved cursors; connections ended so in a row back off as failed
   * attempts do ([M18]), so a hop that damages every connection is not retried in a tight loop.
   */
  private abandon(detail: string): void {
    this.events.emit('problem', { code: ClientErrorCode.STREAM_DAMAGED, detail })
    if (!this.socket) return
    this.damaged = Math.min(this.damaged + 1, 16)
    this.socket.close()
    this.dropSocket()
    this.attempt = Math.max(this.attempt, this.damaged - 1)
    this.scheduleRetry()
  }

  private damagedBy(result: Damaged | undefined): void {
    if (result) this.abandon(`damaged envelope ${result.damaged}`)
  }

  private dropSocket(): void {
    const socket = this.socket
    this.socket = undefined
    this.ready = false
    this.turn.closed()
    this.joined.clear()
    this.joining.clear()
    this.unregistered.clear()
    this.receiver.stalled.clear()
    this.challenge = undefined
    this.subs.clear()
    this.pusher.clear()
    if (socket) socket.onmessage = socket.onclose = socket.onerror = null
    this.setState('offline')
  }

  private get backoff(): { initialMs: number; maxMs: number } {
    return this.options.backoff ?? { initialMs: 500, maxMs: 30_000 }
  }

  private scheduleRetry(): void {
    if (this.stopped) return
    const { initialMs, maxMs } = this.backoff
    const base = Math.min(maxMs, initialMs * 2 ** this.attempt++)
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => this.connect(), base * (0.8 + Math.random() * 0.4))
  }

  private checkHeartbeat(): void {
    if (!this.socket) return
    const silentFor = Date.now() - this.lastFrameAt
    const interval = this.options.heartbeatMs ?? 15_000
    if (silentFor > interval * 3) {
      // A dead mobile link often never reports close: give up on it and reconnect.
      this.socket.close()
      this.dropSocket()
      this.scheduleRetry()
    } else if (silentFor > interval && this.ready) {
      this.send({ type: 'ping', t: Date.now() })
    }
  }

  private send(msg: ClientMessage): void {
    if (this.socket?.readyState === OPEN) this.socket.send(encodeFrame(msg))
  }

  /** Inbound messages are untrusted peer input: decoded and validated before use ([P3]). */
  private async onFrame(bytes: Uint8Array): Promise<void> {
    const decoded = decodeServerFrame(bytes)
    if (!decoded.ok) return this.abandon('unreadable frame') // [M33]
    const msg: ServerMessage = decoded.message
    switch (msg.type) {
      case 'challenge': {
        if (msg.v !== PROTOCOL_VERSION) return this.versionMismatch()
        this.pusher.limits = { maxEnvelopesPerPush: msg.limits.maxEnvelopesPerPush, maxFrameBytes: msg.limits.maxFrameBytes }
        const device = this.identity.keys.signPublic
        const mailbox = this.mailbox.address
        const [proof, mailboxProof] = await Promise.all([
          this.signer.sign(deviceAuthBytes(msg.nonce, device)),
          this.mailbox.signer.sign(mailboxProofBytes(msg.nonce, mailbox)),
        ])
        this.challenge = msg.nonce
        return this.send({ type: 'hello', v: PROTOCOL_VERSION, device, proof, mailbox, mailboxProof })
      }
      case 'welcome':
        this.ready = true
        this.attempt = 0
        this.setState('syncing')
        // Queued mail (sealed keys of a rotation) goes before any rekey, so members get it first.
        await this.pusher.flushMail()
        for (const rec of this.registry.list()) await this.joinConversation(rec.conv)
        if (this.challenge) await this.proxies.sendAll(this.challenge)
        this.requestFlush()
        return
      case 'joined': {
        const conv = convIdOf(msg.conv)
        if (!this.registry.get(conv) && this.proxies.answer(conv, { joined: msg.epoch })) return
        this.joining.delete(conv)
        this.joined.set(conv, msg.epoch)
        this.unregistered.joined(conv)
        await this.registry.update(conv, (r) => ({ ...r, serverEpoch: msg.epoch, ...(r.rekeyPending && r.epoch === msg.epoch ? { rekeyPending: false } : {}) }))
        this.events.emit('access', { conv, lost: false })
        this.events.emit('joined', { conv, epoch: msg.epoch })
        for (const doc of this.options.docsOf(conv)) this.subs.subscribe(conv, doc)
        return this.requestFlush()
      }
      case 'envelopes':
        return this.damagedBy(await this.subs.onEnvelopes(msg))
      case 'snapshots':
        return this.damagedBy(await this.subs.onSnapshots(msg))
      case 'caught-up': {
        const damaged = await this.subs.onCaughtUp(msg)
        this.updateState()
        return this.damagedBy(damaged)
      }
      case 'ack':
        await this.pusher.onAck(msg)
        return this.damagedBy(await this.subs.release())
      case 'pong':
        return
      case 'mailbox':
        // Handled in line, so a rotation's bundle is taken before the revocation that follows it.
        return this.options.onMail?.(msg.items)
      case 'error':
        return onServerError(msg, this.errors)
      case 'relay': {
        // [M57] Another device's signal, sealed (crypto [E14]): opened and checked by presence/.
        const conv = convIdOf(msg.conv)
        if (this.registry.get(conv)) this.events.emit('signal', { conv, body: msg.body })
        return
      }
      case 'turn-credentials':
        // [M70] The answer to the oldest request (an unasked one is dropped).
        return this.turn.answer(msg)
      default: {
        const never: never = msg
        return never
      }
    }
  }

  private challenge: Uint8Array | undefined

  private versionMismatch(): void {
    this.events.emit('problem', { code: ClientErrorCode.VERSION_MISMATCH })
    this.attempt = 10 // keep trying, slowly: the server may be rolled back or the app updated
    this.socket?.close()
  }

  private async joinConversation(conv: ConvId): Promise<void> {
    const rec = this.registry.get(conv)
    // Only on an authenticated connection: a join "sent" offline would block the real one later.
    if (!rec || !this.ready || !this.challenge || this.joined.has(conv) || this.joining.has(conv)) return
    this.joining.add(conv)
    this.send(await joinMessage(conv, rec, this.challenge, this.options.adminSecrets))
  }

  /**
   * [M57] The epoch the server confirmed this connection's join of `conv` at, while the socket is
   * open: what a signal is sealed under. undefined offline or before the join: nothing is sent then.
   */
  signalEpoch(conv: ConvId): number | undefined {
    return this.ready && this.socket?.readyState === OPEN ? this.joined.get(conv) : undefined
  }

  /**
   * [M70] TURN servers and a short-lived credential for a call (protocol [S55]): M570 when the
   * server has no TURN, M571 when there is no connection or no answer within `timeoutMs`.
   */
  turnCredentials(timeoutMs = 10_000): Promise<IceServer> {
    return this.turn.ask(() => {
      if (!this.ready || this.socket?.readyState !== OPEN) return false
      this.send({ type: 'turn' })
      return true
    }, timeoutMs)
  }

  /** [M57] Sends a sealed signal now if the join it was sealed for still holds; never queued. */
  sendSignal(conv: ConvId, epoch: number, body: Uint8Array): boolean {
    if (this.signalEpoch(conv) !== epoch) return false
    this.send({ type: 'signal', conv: idBytes(conv), body })
    return true
  }

  /** [T18] Rotates the server's capability of a space this device is not a member of. */
  proxyRekey(r: ProxyRekey): Promise<void> {
    return this.proxies.add(r, this.ready ? this.challenge : undefined)
  }

  /** The conversation's epoch changed on this device (a rotation it made or received): join again. */
  async rejoin(conv: ConvId): Promise<void> {
    this.joined.delete(conv)
    this.joining.delete(conv)
    // Fresh subscriptions follow the join: forget the old ones, their backlog and their stalls.
    for (const key of [...this.receiver.stalled]) if (key.startsWith(conv)) this.receiver.stalled.delete(key)
    this.subs.forget(conv)
    this.updateState()
    await this.joinConversation(conv)
  }

  /** Conversations with envelopes this device cannot open yet ([T11]). */
  waitingForKey(conv: ConvId): boolean {
    return this.receiver.waitingForKey(conv)
  }

  /**
   * [T11] New keys for a conversation (a rotation arrived, or "Retry"): fetch again from the
   * saved cursors, so envelopes that were waiting for a key are opened now.
   */
  async retryKeys(conv: ConvId): Promise<void> {
    await this.receiver.checkpoint()
    this.receiver.unstall(conv)
    if (!this.ready || !this.joined.has(conv)) return
    for (const doc of this.options.docsOf(conv)) this.subs.again(conv, doc)
  }

  /** [M63] A push frame (client/core/push) on the authenticated connection; false when there is none. */
  sendPush(msg: PushRegister | PushUnregister | Wake): boolean {
    if (!this.ready || this.socket?.readyState !== OPEN) return false
    this.send(msg)
    return true
  }

  /** Sends queued mail; each item leaves the queue when the server acknowledges it. */
  flushMail(): Promise<void> {
    return this.pusher.flushMail()
  }

  /** [S11] Handled items; `pool`: the decoy pool key an item was posted with (crypto [K8]), so its decoys go too. */
  mailDone(done: readonly { id: number; pool?: Uint8Array }[]): void {
    this.pusher.mailDone(done)
  }

  private updateState(): void {
    if (!this.socket || !this.ready) return
    this.setState(this.joining.size > 0 || this.subs.catching || this.pusher.busy ? 'syncing' : 'online')
  }

  private setState(state: ConnectionState): void {
    if (state === 'online') this.damaged = 0 // [M33] this connection read everything it asked for
    if (this.state === state) return
    this.state = state
    this.events.emit('state', state)
  }
}
