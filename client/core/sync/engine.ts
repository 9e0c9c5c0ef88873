import { EnvelopeAuthors, capabilityProofBytes, createSigner, deriveMailboxKey, mailboxProofBytes, type MailboxKey, deriveAdminCapability, deriveCapability, rekeyProofBytes, deviceAuthBytes, type Signer } from '../../../crypto/index.js'
import {
  PROTOCOL_VERSION, convIdOf, decodeServerFrame, docIdOf, encodeFrame, idBytes,
  type ClientMessage, type ConvId, type DocId, type ServerMessage,
} from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import { ClientErrorCode, type ClientErrorCode as Code } from '../errors.js'
import { Emitter } from '../events.js'
import type { Identity } from '../identity.js'
import type { Outbox } from '../outbox/outbox.js'
import { JoinRetry } from './joinRetry.js'
import { ProxyRekeys, type ProxyRekey } from './proxyRekey.js'
import type { ConnectionState, EngineEvents } from './engineEvents.js'
import type { MailOutbox } from '../outbox/mailOutbox.js'
import { Pusher } from './push.js'
import { Receiver } from './receive.js'
import type { ConversationRecord, Registry } from '../conversations/registry.js'
import { onServerError, type ServerErrorDeps } from './serverError.js'
import { OPEN, frameBytes, type SocketFactory, type SocketLike } from './transport.js'

export type { ConnectionState, EngineEvents } from './engineEvents.js'

export interface EngineOptions {
  readonly url: string
  readonly socket: SocketFactory
  /** Which documents of a conversation to subscribe to (root and known segments). */
  readonly docsOf: (conv: ConvId) => DocId[]
  readonly backoff?: { initialMs: number; maxMs: number }
  readonly heartbeatMs?: number
  /** Acknowledged envelopes of one document after which this device snapshots its own log ([E12]). */
  readonly snapshotEvery?: number
  /** Mail to deliver to other devices ([S11]). */
  readonly mail?: MailOutbox
  /**
   * The admin secrets for a rotation of the server's capability: `sign` (the admin key the server
   * holds, for the epoch it is at) and `next` (the new admin key). Default: the record's one secret.
   */
  readonly adminSecrets?: (conv: ConvId, rec: ConversationRecord) => { sign: Uint8Array; next: Uint8Array } | undefined
  /** Root documents of a conversation (every generation's, [M24]); default: the conversation id. */
  readonly isRoot?: (conv: ConvId, doc: DocId) => boolean
  /** Items from this device's mailbox, handled before the next frame; call `mailDone` after. */
  readonly onMail?: (items: { id: number; body: Uint8Array; fanout: number }[]) => Promise<void>
  /** [M26] Was `device` (hex) a member device of `epoch`? undefined: the conversation has no membership graph. */
  readonly memberOfEpoch?: (conv: ConvId, epoch: number, device: string) => boolean | undefined
  /** [S12] The position of an epoch in the conversation's graph order; undefined when unknown. */
  readonly epochRank?: (conv: ConvId, epoch: number) => number | undefined
  /** [M26] Messages a received envelope created, with its epoch (kept for re-checking). */
  readonly recordEpochs?: (conv: ConvId, batches: readonly { ids: readonly string[]; epoch: number }[]) => Promise<void>
  /** [T19] Removal notices in the mail outbox may leave now. Default: always. */
  readonly noticesMayGo?: () => boolean
}

/**
 * Moves encrypted batches between the local documents and the blind server.
 *
 * Key invariants:
 *  1. Received frames are handled one at a time, in arrival order.
 *  2. A document's cursor is saved only after the changes below it are in local storage, so a
 *     crash replays from an older cursor (duplicates are harmless) and never skips.
 *  3. Nothing is applied from an envelope that fails any check ([E2]–[E10]); nothing partial.
 *  4. Sealing and pushing run in one loop at a time, so seq numbers are never reused.
 *
 * Receiving is in `receive.ts`, sealing and pushing in `push.ts`, error frames in `serverError.ts`.
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
  private inbound: Promise<void> = Promise.resolve()
  private readonly signer: Signer
  private readonly mailbox: MailboxKey
  /** Conversations the server confirmed on this connection, at the epoch it confirmed. */
  private readonly joined = new Map<ConvId, number>()
  private readonly joining = new Set<ConvId>()
  private readonly unregistered = new JoinRetry((conv) => void this.rejoin(conv))
  private readonly proxies = new ProxyRekeys((m) => this.send(m), (conv, outcome, epoch) => this.events.emit('proxyRekey', { conv, outcome, ...(epoch !== undefined ? { epoch } : {}) }))
  private readonly subscribed = new Set<string>()
  private readonly catchingUp = new Set<string>()
  private readonly receiver: Receiver
  private readonly pusher: Pusher
  private readonly errors: ServerErrorDeps
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
    this.pusher = new Pusher({
      registry, docs, outbox, authors: new EnvelopeAuthors(identity.keys.signSecret), events: this.events, mail: options.mail, snapshotEvery: options.snapshotEvery, joined: this.joined, noticesMayGo: options.noticesMayGo,
      ready: () => this.ready,
      open: () => this.socket?.readyState === OPEN,
      send: (m) => this.send(m),
      updateState: () => this.updateState(),
    })
    this.errors = {
      registry, events: this.events, proxies: this.proxies, unregistered: this.unregistered, joining: this.joining,
      versionMismatch: () => this.versionMismatch(),
      rejoin: (conv) => this.rejoin(conv),
      updateState: () => this.updateState(),
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
    if (this.ready && this.joined.has(conv)) this.subscribe(conv, doc)
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
      // Invariant 1: one frame at a time, in order.
      this.inbound = this.inbound.then(() => this.onFrame(bytes)).catch((err: unknown) => {
        this.events.emit('problem', { code: ClientErrorCode.CHANGE_UNREADABLE, detail: String(err) })
      })
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.dropSocket()
      this.scheduleRetry()
    }
    socket.onerror = () => socket.close()
  }

  private dropSocket(): void {
    const socket = this.socket
    this.socket = undefined
    this.ready = false
    this.joined.clear()
    this.joining.clear()
    this.unregistered.clear()
    this.receiver.stalled.clear()
    this.challenge = undefined
    this.subscribed.clear()
    this.catchingUp.clear()
    this.pusher.clear()
    if (socket) socket.onmessage = socket.onclose = socket.onerror = null
    this.setState('offline')
  }

  private scheduleRetry(): void {
    if (this.stopped) return
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 }
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
    if (!decoded.ok) return this.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: 'unreadable frame' })
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
        for (const doc of this.options.docsOf(conv)) this.subscribe(conv, doc)
        return this.requestFlush()
      }
      case 'envelopes':
        return this.receiver.onEnvelopes(msg)
      case 'snapshots':
        return this.receiver.onSnapshots(msg)
      case 'caught-up':
        this.catchingUp.delete(convIdOf(msg.conv) + docIdOf(msg.doc))
        return this.updateState()
      case 'ack':
        return this.pusher.onAck(msg)
      case 'pong':
        return
      case 'mailbox':
        // Handled in line, so a rotation's bundle is taken before the revocation that follows it.
        return this.options.onMail?.(msg.items)
      case 'error':
        return onServerError(msg, this.errors)
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
    const id = idBytes(conv)
    const cap = deriveCapability(rec.keys.get(rec.epoch)!, id, rec.epoch)
    const secrets = this.options.adminSecrets ? this.options.adminSecrets(conv, rec) : rec.adminSecret && { sign: rec.adminSecret, next: rec.adminSecret }
    const admin = secrets ? deriveAdminCapability(secrets.next, id) : undefined
    // [S10] an offline rotation takes effect as soon as this admin device reconnects; from the
    // epoch the server last confirmed (compare-and-swap). Never confirmed: a plain join registers.
    if (secrets && admin && rec.rekeyPending && rec.serverEpoch !== undefined) {
      const signer = deriveAdminCapability(secrets.sign, id).signer
      const proof = await signer.sign(rekeyProofBytes(this.challenge, id, rec.epoch, cap.publicKey, admin.publicKey))
      return this.send({ type: 'rekey', conv: id, from: rec.serverEpoch, epoch: rec.epoch, cap: cap.publicKey, admin: admin.publicKey, proof })
    }
    const proof = await cap.signer.sign(capabilityProofBytes(this.challenge, id, rec.epoch))
    this.send({ type: 'join', conv: id, epoch: rec.epoch, cap: cap.publicKey, proof, ...(admin ? { admin: admin.publicKey } : {}), ...(rec.origin ? { origin: rec.origin } : {}) })
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
    for (const set of [this.subscribed, this.catchingUp, this.receiver.stalled]) for (const key of [...set]) if (key.startsWith(conv)) set.delete(key)
    this.updateState()
    await this.joinConversation(conv)
  }

  private subscribe(conv: ConvId, doc: DocId): void {
    const key = conv + doc
    if (this.subscribed.has(key)) return
    this.subscribed.add(key)
    this.catchingUp.add(key)
    this.setState('syncing')
    this.send({ type: 'subscribe', conv: idBytes(conv), doc: idBytes(doc), cursor: this.registry.cursor(conv, doc) })
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
    for (const doc of this.options.docsOf(conv)) {
      this.subscribed.delete(conv + doc)
      this.subscribe(conv, doc)
    }
  }

  /** Sends queued mail; each item leaves the queue when the server acknowledges it. */
  flushMail(): Promise<void> {
    return this.pusher.flushMail()
  }

  /** [S11] Handled items; `pool`: the decoy pool key an item was posted with (crypto [K8]), so its decoys go too. */
  mailDone(done: readonly { id: number; pool?: Uint8Array }[]): void {
    for (let i = 0; i < done.length; i += 1000) {
      const part = done.slice(i, i + 1000)
      const pools = part.flatMap((d) => (d.pool ? [{ id: d.id, key: d.pool }] : []))
      this.send({ type: 'mail-done', ids: part.map((d) => d.id), ...(pools.length ? { pools } : {}) })
    }
  }

  private updateState(): void {
    if (!this.socket || !this.ready) return
    this.setState(this.joining.size > 0 || this.catchingUp.size > 0 || this.pusher.busy ? 'syncing' : 'online')
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    this.events.emit('state', state)
  }
}
