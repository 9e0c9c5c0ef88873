import { CryptoErrorCode, SNAPSHOT_VERSION, capabilityProofBytes, createSigner, deriveAdminCapability, deriveCapability, rekeyProofBytes, deviceAuthBytes, openEnvelopes, sealEnvelope, type Signer } from '../../crypto/index.js'
import {
  ErrorCode, PROTOCOL_VERSION, convIdOf, decodeServerFrame, docIdOf, encodeFrame, idBytes,
  type Ack, type ClientMessage, type ConvId, type DocId, type Envelopes, type ServerMessage, type Snapshots,
} from '../../protocol/index.js'
import type { DocStore } from './docs.js'
import { ClientErrorCode, type ClientErrorCode as Code } from './errors.js'
import { Emitter } from './events.js'
import type { Identity } from './identity.js'
import type { Outbox } from './outbox.js'
import { actorOf } from './identity.js'
import { decodeChanges, encodeChanges } from './payload.js'
import { checkChanges } from './writeRules.js'
import { JoinRetry } from './joinRetry.js'
import { ProxyRekeys, type ProxyOutcome, type ProxyRekey } from './proxyRekey.js'
import type { MailOutbox } from './mailOutbox.js'
import type { ConversationRecord, Registry } from './registry.js'
import { OPEN, frameBytes, type SocketFactory, type SocketLike } from './transport.js'

export type ConnectionState = 'offline' | 'connecting' | 'syncing' | 'online'

export interface EngineEvents extends Record<string, unknown> {
  state: ConnectionState
  /** The server acknowledged these messages: they are no longer pending. */
  delivered: { msgIds: string[] }
  /** [T11] Envelopes of this conversation wait for a key this device does not hold yet. */
  waiting: { conv: ConvId; waiting: boolean }
  /** The server refused (lost: true) or granted this device's access to a conversation. */
  access: { conv: ConvId; lost: boolean }
  /** Something was refused; the person can read `code`'s text. Nothing stored was lost. */
  problem: { code: Code; detail?: string }
  /** The server confirmed this device's access to a conversation at `epoch`. */
  joined: { conv: ConvId; epoch: number }
  /** [S10] A rekey from an epoch the conversation has left; `epoch` is where the server is. */
  rekeyConflict: { conv: ConvId; epoch: number }
  /** [T18] The server answered a rekey made for a space this device is not a member of. */
  proxyRekey: { conv: ConvId; outcome: ProxyOutcome; epoch?: number }
}

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
  readonly onMail?: (items: { id: number; from: Uint8Array; body: Uint8Array }[]) => Promise<void>
}

interface InFlight { conv: ConvId; doc: DocId; seq: number; snapshot?: boolean }

/**
 * Moves encrypted batches between the local documents and the blind server.
 *
 * Key invariants:
 *  1. Received frames are handled one at a time, in arrival order.
 *  2. A document's cursor is saved only after the changes below it are in local storage, so a
 *     crash replays from an older cursor (duplicates are harmless) and never skips.
 *  3. Nothing is applied from an envelope that fails any check ([E2]–[E10]); nothing partial.
 *  4. Sealing and pushing run in one loop at a time, so seq numbers are never reused.
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
  private readonly joined = new Set<ConvId>()
  private readonly joining = new Set<ConvId>()
  private readonly unregistered = new JoinRetry((conv) => void this.rejoin(conv))
  private readonly proxies = new ProxyRekeys((m) => this.send(m), (conv, outcome, epoch) => this.events.emit('proxyRekey', { conv, outcome, ...(epoch !== undefined ? { epoch } : {}) }))
  private readonly subscribed = new Set<string>()
  private readonly catchingUp = new Set<string>()
  private readonly inFlight = new Map<number, InFlight[]>()
  private nextPushId = 1
  private flushing: Promise<void> | undefined
  private flushAgain = false
  private readonly dirty = new Map<string, { conv: ConvId; doc: DocId; cursor: number }>()
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined
  private limits = { maxEnvelopesPerPush: 256, maxFrameBytes: 4 * 1024 * 1024 }
  state: ConnectionState = 'offline'

  constructor(
    private readonly identity: Identity,
    private readonly registry: Registry,
    private readonly docs: DocStore,
    private readonly outbox: Outbox,
    private readonly options: EngineOptions,
  ) {
    this.signer = createSigner(identity.keys.signSecret)
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
    await this.checkpoint()
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
    if (!this.ready) return
    if (this.flushing) {
      this.flushAgain = true
      return
    }
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined
      this.updateState()
    })
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
    this.stalled.clear()
    this.challenge = undefined
    this.subscribed.clear()
    this.catchingUp.clear()
    this.inFlight.clear()
    this.mailInFlight.clear()
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
        this.limits = { maxEnvelopesPerPush: msg.limits.maxEnvelopesPerPush, maxFrameBytes: msg.limits.maxFrameBytes }
        const device = this.identity.keys.signPublic
        const proof = await this.signer.sign(deviceAuthBytes(msg.nonce, device))
        this.challenge = msg.nonce
        return this.send({ type: 'hello', v: PROTOCOL_VERSION, device, proof })
      }
      case 'welcome':
        this.ready = true
        this.attempt = 0
        this.setState('syncing')
        // Queued mail (sealed keys of a rotation) goes before any rekey, so members get it first.
        await this.flushMail()
        for (const rec of this.registry.list()) await this.joinConversation(rec.conv)
        if (this.challenge) await this.proxies.sendAll(this.challenge)
        this.requestFlush()
        return
      case 'joined': {
        const conv = convIdOf(msg.conv)
        if (!this.registry.get(conv) && this.proxies.answer(conv, { joined: msg.epoch })) return
        this.joining.delete(conv)
        this.joined.add(conv)
        this.unregistered.joined(conv)
        await this.registry.update(conv, (r) => ({ ...r, serverEpoch: msg.epoch, ...(r.rekeyPending && r.epoch === msg.epoch ? { rekeyPending: false } : {}) }))
        this.events.emit('access', { conv, lost: false })
        this.events.emit('joined', { conv, epoch: msg.epoch })
        for (const doc of this.options.docsOf(conv)) this.subscribe(conv, doc)
        return this.requestFlush()
      }
      case 'envelopes':
        return this.onEnvelopes(msg)
      case 'snapshots':
        return this.onSnapshots(msg)
      case 'caught-up':
        this.catchingUp.delete(convIdOf(msg.conv) + docIdOf(msg.doc))
        return this.updateState()
      case 'ack':
        return this.onAck(msg)
      case 'pong':
        return
      case 'mailbox':
        // Handled in line, so a rotation's key mail is taken before the revocation that follows it.
        return this.options.onMail?.(msg.items)
      case 'error':
        if (msg.code === ErrorCode.VERSION_MISMATCH) return this.versionMismatch()
        if (msg.code === ErrorCode.RATE_LIMITED) return
        if (msg.ref && !this.registry.get(msg.ref as ConvId) && this.proxies.answer(msg.ref as ConvId, { code: msg.code, ...(msg.epoch !== undefined ? { epoch: msg.epoch } : {}) })) return
        if (msg.code === ErrorCode.CAPABILITY_REVOKED && msg.ref) return void (await this.rejoin(msg.ref as ConvId)) // [S10]
        // A subscribe that crossed a revocation on the wire: the rejoin under way subscribes again.
        if (msg.code === ErrorCode.NOT_JOINED && msg.ref && this.registry.get(msg.ref as ConvId)) {
          if (!this.joining.has(msg.ref as ConvId)) await this.rejoin(msg.ref as ConvId)
          return
        }
        if (msg.code === ErrorCode.REKEY_CONFLICT && msg.ref && msg.epoch !== undefined) {
          this.joining.delete(msg.ref as ConvId)
          return this.events.emit('rekeyConflict', { conv: msg.ref as ConvId, epoch: msg.epoch })
        }
        // [S3] Not on the server until its creator's device registers it: ask again later, quietly.
        if (msg.code === ErrorCode.NOT_REGISTERED && msg.ref && this.registry.get(msg.ref as ConvId)) {
          this.joining.delete(msg.ref as ConvId)
          this.updateState()
          return this.unregistered.retryLater(msg.ref as ConvId)
        }
        // A refused capability is an access signal whether or not a join is still counted as in
        // flight (two joins may cross): the messenger decides between removed and waiting ([M23]).
        if (msg.code === ErrorCode.CAPABILITY_REJECTED && msg.ref && this.registry.get(msg.ref as ConvId)) {
          this.joining.delete(msg.ref as ConvId)
          this.updateState()
          return this.events.emit('access', { conv: msg.ref as ConvId, lost: true })
        }
        if (msg.ref && this.joining.delete(msg.ref as ConvId)) {
          this.updateState()
          // [T10] the server no longer accepts this device's capability for the conversation.
          if (msg.code === ErrorCode.CAPABILITY_REJECTED) return this.events.emit('access', { conv: msg.ref as ConvId, lost: true })
        }
        return this.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: `${msg.code}: ${msg.message}` })
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
    for (const set of [this.subscribed, this.catchingUp, this.stalled]) for (const key of [...set]) if (key.startsWith(conv)) set.delete(key)
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

  private async onEnvelopes(msg: Envelopes): Promise<void> {
    const conv = convIdOf(msg.conv)
    const doc = docIdOf(msg.doc)
    if (!this.registry.get(conv) || msg.items.length === 0) return
    if (this.stalled.has(conv + doc)) return // [T11] everything after a missing key comes again later
    const missing = await this.openAndApply(conv, doc, msg.items.map((i) => i.env))
    // [T11] The cursor never passes an envelope whose key this device does not hold yet.
    const stop = missing === undefined ? msg.items.length : missing
    if (missing !== undefined) {
      this.stalled.add(conv + doc)
      this.setWaiting(conv, true)
    }
    const last = stop > 0 ? msg.items[stop - 1]!.sseq : 0
    if (last > 0) {
      this.dirty.set(conv + doc, { conv, doc, cursor: Math.max(last, this.dirty.get(conv + doc)?.cursor ?? 0) })
      this.scheduleCheckpoint()
    }
  }

  private readonly stalled = new Set<string>()
  private readonly waiting = new Set<ConvId>()

  /** Conversations with envelopes this device cannot open yet ([T11]). */
  waitingForKey(conv: ConvId): boolean {
    return this.waiting.has(conv)
  }

  private setWaiting(conv: ConvId, waiting: boolean): void {
    if (waiting === this.waiting.has(conv)) return
    if (waiting) this.waiting.add(conv)
    else this.waiting.delete(conv)
    this.events.emit('waiting', { conv, waiting })
  }

  /**
   * [T11] New keys for a conversation (a rotation arrived, or "Retry"): fetch again from the
   * saved cursors, so envelopes that were waiting for a key are opened now.
   */
  async retryKeys(conv: ConvId): Promise<void> {
    await this.checkpoint()
    for (const key of [...this.stalled]) if (key.startsWith(conv)) this.stalled.delete(key)
    this.setWaiting(conv, false)
    if (!this.ready || !this.joined.has(conv)) return
    for (const doc of this.options.docsOf(conv)) {
      this.subscribed.delete(conv + doc)
      this.subscribe(conv, doc)
    }
  }

  /** [S9][E12] Snapshots replace pruned envelopes; they never move the cursor. */
  private async onSnapshots(msg: Snapshots): Promise<void> {
    const conv = convIdOf(msg.conv)
    if (!this.registry.get(conv) || msg.envs.length === 0) return
    await this.openAndApply(conv, docIdOf(msg.doc), msg.envs)
  }

  /**
   * Invariant 3: verify, decrypt and check every envelope; apply what passes in one batch.
   * Returns the index of the first envelope whose epoch key is missing ([T11]), if any.
   */
  private async openAndApply(conv: ConvId, doc: DocId, envs: readonly Uint8Array[]): Promise<number | undefined> {
    const rec = this.registry.get(conv)!
    const ctx = { conv: idBytes(conv), doc: idBytes(doc), keyFor: (epoch: number) => rec.keys.get(epoch) }
    // Signatures are checked in parallel (WebCrypto); then decrypt and check each ([E2]–[E9]).
    const opened = await openEnvelopes(envs, ctx) // [E11] one signature per device run
    const batches: Uint8Array[][] = []
    const missing = opened.findIndex((r) => !r.ok && r.code === CryptoErrorCode.NO_KEY)
    for (const result of opened) {
      if (!result.ok && result.code === CryptoErrorCode.NO_KEY) continue // waiting, not refused
      if (!result.ok) {
        this.events.emit('problem', { code: ClientErrorCode.ENVELOPE_REJECTED, detail: result.code })
        continue
      }
      const batch = decodeChanges(result.value.payload)
      if (!batch) {
        this.events.emit('problem', { code: ClientErrorCode.CHANGE_UNREADABLE })
        continue
      }
      // [E10] the author is the signer; [M20] and the signer wrote only what it may.
      const isRoot = this.options.isRoot ? this.options.isRoot(conv, doc) : doc === (conv as string)
      const verdict = checkChanges(batch, actorOf(result.value.header.device), isRoot ? 'root' : 'segment', new Set(rec.admins ?? []))
      if (!verdict.ok) {
        this.events.emit('problem', { code: verdict.code })
        continue
      }
      batches.push(batch)
    }
    if (batches.length === 0) return missing < 0 ? undefined : missing
    try {
      await this.docs.apply(doc, batches.flat())
    } catch {
      // Defence in depth: one batch Automerge refuses must not take the others with it.
      for (const batch of batches) {
        try {
          await this.docs.apply(doc, batch)
        } catch (err) {
          this.events.emit('problem', { code: ClientErrorCode.CHANGE_UNREADABLE, detail: String(err) })
        }
      }
    }
    return missing < 0 ? undefined : missing
  }

  private scheduleCheckpoint(): void {
    this.checkpointTimer ??= setTimeout(() => {
      this.checkpointTimer = undefined
      void this.checkpoint()
    }, 250)
  }

  /** Invariant 2: documents first, cursors after. */
  private async checkpoint(): Promise<void> {
    clearTimeout(this.checkpointTimer)
    this.checkpointTimer = undefined
    const entries = [...this.dirty.values()]
    this.dirty.clear()
    if (entries.length === 0) return
    await this.docs.flush(entries.map((e) => e.doc))
    await this.registry.saveCursors(entries)
  }

  /** Sends queued mail; each item leaves the queue when the server acknowledges it. */
  async flushMail(): Promise<void> {
    const mail = this.options.mail
    if (!this.ready || !mail) return
    for (const item of await mail.list()) {
      if (!this.ready || this.socket?.readyState !== OPEN) return
      const id = this.nextPushId++
      this.mailInFlight.set(id, item.key)
      this.send({ type: 'mail', id, to: item.to, items: [item.body] })
    }
  }

  mailDone(ids: number[]): void {
    if (ids.length) this.send({ type: 'mail-done', ids })
  }

  private readonly mailInFlight = new Map<number, string[]>()

  private async onAck(msg: Ack): Promise<void> {
    const mailKey = this.mailInFlight.get(msg.id)
    if (mailKey) {
      this.mailInFlight.delete(msg.id)
      if (msg.results.every((r) => 'sseq' in r)) await this.options.mail?.remove([mailKey])
      else this.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: 'mailbox full' })
      return
    }
    const sent = this.inFlight.get(msg.id)
    if (!sent) return
    this.inFlight.delete(msg.id)
    const accepted: InFlight[] = []
    for (let i = 0; i < sent.length; i++) {
      const result = msg.results[i]
      if (result && 'sseq' in result) accepted.push(sent[i]!)
      else if (result) this.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: `push refused: ${result.code}` })
    }
    for (const a of accepted) if (a.snapshot) await this.outbox.compactedTo(a.conv, a.doc, a.seq)
    const delivered = await this.outbox.acked(accepted.filter((a) => !a.snapshot))
    if (delivered.length) this.events.emit('delivered', { msgIds: delivered })
    for (const a of accepted) if (!a.snapshot) this.maybeSnapshot(a.conv, a.doc)
    this.requestFlush() // whatever gathered while this push was in flight
    this.updateState()
  }

  private readonly snapshotting = new Set<string>()

  /**
   * [E12] Once enough of this device's envelopes for a document are acknowledged and nothing
   * is pending, replace them on the server with one snapshot of its own changes: one signature
   * and one blob for a new device instead of hundreds, and the server prunes the rest.
   */
  private maybeSnapshot(conv: ConvId, doc: DocId): void {
    const chain = this.outbox.chain(conv, doc)
    const every = this.options.snapshotEvery ?? 256
    const key = conv + doc
    if (!chain || chain.seq - chain.compacted < every || !this.outbox.idle(conv, doc) || this.snapshotting.has(key)) return
    this.snapshotting.add(key)
    void (async () => {
      try {
        const rec = this.registry.get(conv)
        const changes = await this.docs.ownChanges(doc)
        if (!rec || !this.ready || changes.length === 0 || !this.outbox.idle(conv, doc)) return
        const header = { v: SNAPSHOT_VERSION, conv: idBytes(conv), doc: idBytes(doc), epoch: rec.epoch, device: this.signer.publicKey, seq: chain.seq, prev: chain.prev } as const
        const env = await sealEnvelope(header, encodeChanges(changes), rec.keys.get(rec.epoch)!, this.signer)
        if (!this.ready || this.socket?.readyState !== OPEN) return
        const id = this.nextPushId++
        this.inFlight.set(id, [{ conv, doc, seq: chain.seq, snapshot: true }])
        this.send({ type: 'push', id, envelopes: [env.bytes] })
      } finally {
        this.snapshotting.delete(key)
      }
    })()
  }

  /** Invariant 4: the only place that seals and pushes. */
  private async flushLoop(): Promise<void> {
    do {
      this.flushAgain = false
      for (const conv of this.joined) {
        const rec = this.registry.get(conv)
        // [T7] while no epoch is safe to write under, changes wait in the outbox.
        if (!rec || rec.hold) continue
        for (const doc of this.outbox.pendingDocs(conv)) {
          if (!this.ready) return
          // One push in flight per document: while it waits for its ack, new changes gather
          // and go out together in the next envelope (one signature, one write, one frame).
          if (this.inFlightFor(conv, doc)) continue
          await this.outbox.seal(conv, doc, rec.epoch, rec.keys.get(rec.epoch)!, this.signer)
          this.pushSealed(conv, doc, this.outbox.sealed(conv, doc))
        }
      }
    } while (this.flushAgain && this.ready)
  }

  private inFlightFor(conv: ConvId, doc: DocId): boolean {
    for (const batch of this.inFlight.values()) for (const f of batch) if (!f.snapshot && f.conv === conv && f.doc === doc) return true
    return false
  }

  private pushSealed(conv: ConvId, doc: DocId, sealed: readonly { seq: number; env: Uint8Array }[]): void {
    // The connection may have dropped while sealing: an in-flight entry with no socket would
    // wait for an ack that never comes and hold the document back ([M5]: pushed again on reconnect).
    if (!this.ready || this.socket?.readyState !== OPEN) return
    const sending = new Set<number>()
    for (const batch of this.inFlight.values()) for (const f of batch) if (f.conv === conv && f.doc === doc) sending.add(f.seq)
    let batch: { seq: number; env: Uint8Array }[] = []
    let bytes = 0
    const sendBatch = () => {
      if (!batch.length) return
      const id = this.nextPushId++
      this.inFlight.set(id, batch.map((b) => ({ conv, doc, seq: b.seq })))
      this.send({ type: 'push', id, envelopes: batch.map((b) => b.env) })
      batch = []
      bytes = 0
    }
    for (const s of sealed) {
      if (sending.has(s.seq)) continue
      if (batch.length >= this.limits.maxEnvelopesPerPush || bytes + s.env.length > this.limits.maxFrameBytes / 2) sendBatch()
      batch.push(s)
      bytes += s.env.length
    }
    sendBatch()
  }

  private updateState(): void {
    if (!this.socket || !this.ready) return
    this.setState(this.joining.size > 0 || this.catchingUp.size > 0 || this.inFlight.size > 0 || this.flushing ? 'syncing' : 'online')
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    this.events.emit('state', state)
  }
}
