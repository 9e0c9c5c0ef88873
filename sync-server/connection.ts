import type { WebSocket } from 'ws'
import {
  ErrorCode, PROTOCOL_VERSION, decodeClientFrame, encodeFrame, errorText,
  type ClientMessage, type Hello, type Join, type Mail, type MailDone, type Push, type PushResult, type Rekey, type ServerMessage, type Signal, type Subscribe, type Unsubscribe,
  type PushRegister, type PushUnregister, type Wake,
} from '../protocol/index.js'
import {
  bytesEqual, conversationIdOf, decoyRowDest, hashOfEnvelope, mailDest, randomBytes, splitEnvelope, toBase64Url, toHex, verifyCapabilityProof, verifyDeviceAuth, verifyMailboxProof,
  verifyEnvelopeSignature, verifyRekeyProof, type EnvelopeParts,
} from '../crypto/verify.js'
import type { AppendItem, AppendResult, ChangeStore, MailItem } from './store/ChangeStore.js'
import type { DecoyPoolCache } from './decoyPools.js'
import { subscriptionKey, type Hub, type Subscriber } from './hub.js'
import type { Logger } from './log.js'
import type { ServerMetrics } from './metrics/serverMetrics.js'
import type { ServerLimits } from './limits.js'
import type { Budgets } from './budgets.js'
import { BacklogPage, framesOf } from './backlog.js'
import type { Fanout } from './fanout/Fanout.js'
import { localFanout } from './fanout/local.js'
import type { PushService } from './push/service.js'
import type { TurnConfig } from './turn/config.js'
import { turnCredentials } from './turn/credentials.js'

export interface ConnectionContext {
  /** Authenticated connections per mailbox address (hex, crypto [K7]), for live delivery ([S11]). */
  readonly mailboxes: Map<string, Set<Connection>>
  /** [S11] Decoy pools readers handed over, in memory only. */
  readonly decoyPools: DecoyPoolCache
  /** Connections joined to each conversation (base64url id), for revocation on rekey ([S10]). */
  readonly joins: Map<string, Set<Connection>>
  readonly store: ChangeStore
  readonly hub: Hub
  /** [S21] Where live events go (server.ts: to every instance of a PostgreSQL store); absent: this process's connections only. */
  readonly fanout?: Fanout
  readonly log: Logger
  readonly limits: ServerLimits
  /** [S22] Frame and mail budgets per device and per client address, kept across connections. */
  readonly budgets: Budgets
  /** [S19] What /metrics and /healthz show: counts by closed label sets, never a key, id or payload. */
  readonly metrics: ServerMetrics
  /** [S50] Web Push (sync-server/push), when the deployment configured VAPID keys. */
  readonly push?: PushService
  /** [S55] TURN credentials for calls, when the deployment runs a TURN server. */
  readonly turn?: TurnConfig
}

interface Subscription {
  readonly conv: Uint8Array
  cursor: number
  /** Live deliveries that arrived while the backlog was still being sent. */
  pending: { sseq: number; env: Uint8Array }[] | undefined
}

/** [S11] Decoy pools one connection may have computed at once, and how fast that comes back. */
const POOL_BUDGET = 8
const POOL_REFILL_MS = 30_000

/** Items one device's mailbox may hold before posts to it are refused (MAILBOX_FULL). */
const MAILBOX_LIMIT = 1000
const APPEND_REASON: Record<Exclude<AppendResult, { ok: true }>['reason'], number> = {
  'seq-gap': ErrorCode.SEQ_GAP,
  'chain-broken': ErrorCode.CHAIN_BROKEN,
  equivocation: ErrorCode.EQUIVOCATION,
  'wrong-conv': ErrorCode.BAD_ENVELOPE,
  dropped: ErrorCode.DOC_DROPPED,
}
let nextId = 1

/** Takes `conn` out of `key`'s set, and the key out of the map with its last connection. */
function forget<C>(map: Map<string, Set<C>>, key: string, conn: C): void {
  const set = map.get(key)
  if (!set?.delete(conn) || set.size) return
  map.delete(key)
}

/** Splits a mailbox into frames of at most about `maxBytes` of bodies; an item is never split. */
function mailPages(items: readonly MailItem[], maxBytes: number): MailItem[][] {
  const pages: MailItem[][] = []
  let page: MailItem[] = []
  let bytes = 0
  for (const item of items) {
    const size = item.body.length + 64 // id, sender key and CBOR framing
    if (page.length && bytes + size > maxBytes) {
      pages.push(page)
      page = []
      bytes = 0
    }
    page.push(item)
    bytes += size
  }
  if (page.length) pages.push(page)
  return pages
}

/**
 * One device's socket. Inbound messages are untrusted peer input: every frame is size- and
 * rate-checked, decoded and schema-validated before use ([P3], [S6]); a bad frame gets a coded
 * error on this socket only. Frames are handled strictly in arrival order.
 */
export class Connection implements Subscriber {
  readonly id = (nextId++).toString(36)
  private readonly challenge = randomBytes(32)
  private device: Uint8Array | undefined
  /** This device's mailbox address, proven in the hello ([S2], crypto [K7]). */
  private mailbox: Uint8Array | undefined
  /** Where its rows are stored: `mailDest(mailbox)` (crypto [K8]). */
  private dest: Uint8Array | undefined
  /** [S11] Decoy pools this connection may still have computed (a token bucket). */
  private poolTokens = POOL_BUDGET
  private poolRefilled = Date.now()
  private readonly joined = new Map<string, number>()
  private readonly subs = new Map<string, Subscription>()
  /** [S22] Whose budget this connection's frames spend: its client address, then its device. */
  private budgetKey: string
  /** [S22] Frames read while reading is paused (the rest of a chunk in hand), in arrival order. */
  private held: { data: Buffer; isBinary: boolean }[] = []
  private heldBytes = 0
  private releaseTimer: NodeJS.Timeout | undefined
  /** Why reading is paused: over budget, or too many frames still being handled. */
  private readonly pausedFor = new Set<'budget' | 'work'>()
  /** Frames handed to the queue and not yet answered. */
  private working = 0
  private strikes = 0
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  private readonly handshakeTimer: NodeJS.Timeout

  /** `address`: the client's address as limits count it (recovery/rateLimit.ts `clientKey`). */
  constructor(private readonly socket: WebSocket, private readonly ctx: ConnectionContext, address = 'unknown') {
    this.budgetKey = `a ${address}`
    this.handshakeTimer = setTimeout(() => this.device || this.fail(ErrorCode.NOT_AUTHENTICATED, true), ctx.limits.handshakeTimeoutMs)
    // [S6] A peer silent for the idle time either way (or stuck half-way through a frame) is closed.
    this.idleTimer = setInterval(() => {
      const now = performance.now()
      if (now - this.lastActive > ctx.limits.idleTimeoutMs || now - this.stuckSince() > ctx.limits.idleTimeoutMs) this.fail(ErrorCode.IDLE_TIMEOUT, true)
    }, Math.max(50, Math.min(15_000, ctx.limits.idleTimeoutMs / 4)))
    this.idleTimer.unref?.()
    socket.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary))
    socket.on('close', () => this.dispose())
    socket.on('error', () => this.dispose())
    const { maxFrameBytes, maxEnvelopesPerPush, framesPerSecond } = ctx.limits
    this.send({ type: 'challenge', v: PROTOCOL_VERSION, nonce: this.challenge, limits: { maxFrameBytes, maxEnvelopesPerPush, framesPerSecond } })
  }

  private lastActive = performance.now()
  /** [S6] Since when the peer's frame in progress has not grown (ws's parser holds part of one). */
  private partial: { bytes: number; since: number } | undefined

  /**
   * [S6] A frame left half-way counts as silence even while frames go out to the peer (live mail
   * for it keeps `lastActive` fresh): the time since bytes of an unfinished frame last arrived,
   * or Infinity (never) when none is in progress. Reads ws's parser state (`_state` 0: between frames).
   */
  private stuckSince(): number {
    const receiver = (this.socket as unknown as { _receiver?: { _state?: unknown; _bufferedBytes?: unknown } })._receiver
    const bytes = typeof receiver?._bufferedBytes === 'number' ? receiver._bufferedBytes : 0
    const midFrame = bytes > 0 || (typeof receiver?._state === 'number' && receiver._state !== 0)
    if (!midFrame) return (this.partial = undefined), Infinity
    if (!this.partial || this.partial.bytes !== bytes) this.partial = { bytes, since: performance.now() }
    return this.partial.since
  }
  private readonly idleTimer: ReturnType<typeof setInterval>

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return
    this.lastActive = performance.now()
    if (this.held.length === 0) {
      const wait = this.spend()
      if (wait === 0) return this.take(data, isBinary)
      this.throttle(wait)
    }
    // [S22] Over budget: the frame waits its turn (answered later, in order), and reading stops.
    this.held.push({ data, isBinary })
    this.heldBytes += data.length
    if (this.held.length > this.ctx.limits.maxHeldFrames || this.heldBytes > this.ctx.limits.maxHeldBytes) {
      this.ctx.metrics.rateLimit('closed')
      this.fail(ErrorCode.RATE_LIMITED, true)
    }
  }

  /** [S22] One frame from this connection's budget: 0, or the milliseconds until there is one. */
  private spend(): number {
    return (this.device ? this.ctx.budgets.deviceFrames : this.ctx.budgets.addressFrames).take(this.budgetKey)
  }

  /**
   * [S22] Over budget: stop reading (TCP pushes back on the sender; nothing more of it is parsed)
   * and say so once, in order; frames already read wait in `held` until the budget refills.
   */
  private throttle(wait: number): void {
    this.pauseReading('budget')
    this.ctx.metrics.rateLimit('paused')
    this.inOrder(() => this.send({ type: 'error', code: ErrorCode.RATE_LIMITED, message: errorText[ErrorCode.RATE_LIMITED].remote, fatal: false }))
    this.releaseTimer = setTimeout(() => this.release(), wait)
  }

  private release(): void {
    this.releaseTimer = undefined
    while (this.held.length && !this.closed) {
      const wait = this.spend()
      if (wait > 0) return void (this.releaseTimer = setTimeout(() => this.release(), wait))
      const { data, isBinary } = this.held.shift()!
      this.heldBytes -= data.length
      this.take(data, isBinary)
    }
    this.resumeReading('budget')
  }

  private pauseReading(why: 'budget' | 'work'): void {
    if (this.pausedFor.size === 0) this.socket.pause()
    this.pausedFor.add(why)
  }

  private resumeReading(why: 'budget' | 'work'): void {
    if (!this.pausedFor.delete(why) || this.pausedFor.size || this.closed) return
    this.socket.resume()
  }

  /** A frame within budget: checked, decoded and queued for its answer. */
  private take(data: Buffer, isBinary: boolean): void {
    // A refusal is an answer like any other: it goes out after the answers to earlier frames
    // (a push's ack is never overtaken by the error for the byte that followed it).
    if (!isBinary) return this.inOrder(() => this.reject(ErrorCode.BAD_FRAME))
    if (data.length > this.ctx.limits.maxFrameBytes) return this.inOrder(() => this.reject(ErrorCode.FRAME_TOO_LARGE))
    const decoded = decodeClientFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    this.ctx.metrics.frameIn(decoded.ok ? decoded.message.type : 'invalid')
    if (!decoded.ok) return this.inOrder(() => this.reject(ErrorCode.BAD_FRAME))
    this.inOrder(() => {
      if (decoded.message.type !== 'ping') this.strikes = 0 // strikes count refusals in a row
      return this.handle(decoded.message)
    })
  }

  /** Frames are answered strictly in arrival order: each one's work after the one before ([S6]). */
  private inOrder(work: () => void | Promise<void>): void {
    // [S22] A peer whose frames take longer to handle than they take to arrive is read no
    // further until its queue is half done: the queue, and the memory it holds, stay bounded.
    if (++this.working >= this.ctx.limits.maxQueuedFrames) this.pauseReading('work')
    this.queue = this.queue
      .then(work)
      .catch((err: unknown) => {
        this.ctx.log.error({ conn: this.id, err: (err as Error).message }, 'handler failed')
        this.fail(ErrorCode.INTERNAL, false)
      })
      .finally(() => {
        if (--this.working <= this.ctx.limits.maxQueuedFrames / 2) this.resumeReading('work')
      })
  }

  private async handle(msg: ClientMessage): Promise<void> {
    if (this.closed) return
    if (msg.type !== 'hello' && msg.type !== 'ping' && !this.device) return this.fail(ErrorCode.NOT_AUTHENTICATED, true)
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg)
      case 'join':
        return this.onJoin(msg)
      case 'rekey':
        return this.onRekey(msg)
      case 'push':
        return this.onPush(msg)
      case 'subscribe':
        return this.onSubscribe(msg)
      case 'unsubscribe':
        return this.onUnsubscribe(msg)
      case 'ping':
        return this.send({ type: 'pong', t: msg.t })
      case 'mail':
        return this.onMail(msg)
      case 'mail-done':
        return this.onMailDone(msg)
      case 'signal':
        return this.onSignal(msg)
      case 'push-register':
      case 'push-unregister':
      case 'wake':
        return this.onPushFrame(msg)
      case 'turn':
        // [S55] Only after the handshake (above); the frame budget bounds how often.
        return this.ctx.turn ? this.send(turnCredentials(this.ctx.turn)) : this.reject(ErrorCode.TURN_OFF)
      default: {
        const never: never = msg
        return never
      }
    }
  }

  private async onHello(msg: Hello): Promise<void> {
    if (this.device) return this.reject(ErrorCode.BAD_FRAME)
    if (msg.v !== PROTOCOL_VERSION) return this.fail(ErrorCode.VERSION_MISMATCH, true, `server speaks v${PROTOCOL_VERSION}`)
    // [S2] the device proves its key, and its mailbox address ([K7]), over this connection's challenge.
    const [device, mailbox] = await Promise.all([
      verifyDeviceAuth(msg.proof, this.challenge, msg.device),
      verifyMailboxProof(msg.mailboxProof, this.challenge, msg.mailbox),
    ])
    if (!device || !mailbox) return this.fail(ErrorCode.AUTH_FAILED, true)
    this.device = msg.device
    this.budgetKey = `d ${toHex(msg.device)}`
    this.mailbox = msg.mailbox
    this.dest = mailDest(msg.mailbox)
    clearTimeout(this.handshakeTimer)
    this.strikes = 0
    const key = toHex(msg.mailbox)
    let set = this.ctx.mailboxes.get(key)
    if (!set) this.ctx.mailboxes.set(key, (set = new Set()))
    set.add(this)
    this.send({ type: 'welcome', v: PROTOCOL_VERSION })
    // [S11] what waited in this mailbox comes right after the welcome, in frames no larger than
    // the announced maxFrameBytes (items may be 1 MiB each).
    const items = await this.ctx.store.readMail(this.dest, MAILBOX_LIMIT)
    for (const page of mailPages(items, this.ctx.limits.maxFrameBytes)) {
      this.send({ type: 'mailbox', items: page })
      await this.drain()
    }
  }

  /**
   * [S11] Sealed items for other devices' mailboxes: stored once for all recipients, with no
   * sender, durably and all or nothing (ChangeStore invariant 7), then delivered live to every
   * connected recipient.
   */
  private async onMail(msg: Mail): Promise<void> {
    // [S22] Every sender has a budget of mailbox rows (recipients and decoys × items): beyond it
    // the items are refused, RATE_LIMITED, stored for nobody; the sender keeps them and tries later.
    const rows = (msg.to.length + (msg.decoys?.length ?? 0)) * msg.items.length
    if (this.ctx.budgets.mailRows.take(this.budgetKey, rows) > 0) {
      this.ctx.metrics.rateLimit('refused')
      return this.send({ type: 'ack', id: msg.id, results: msg.items.map(() => ({ code: ErrorCode.RATE_LIMITED })) })
    }
    // Rows are stored under hashed destinations (crypto [K8]); decoys come as destinations.
    const dests = msg.to.map(mailDest)
    // Decoys under their own domain: never a real mailbox's destination (crypto [K8]).
    const decoys = (msg.decoys ?? []).map(decoyRowDest)
    const posted = await this.ctx.metrics.storeMail(msg.items, () => this.ctx.store.postMail(dests, msg.items, MAILBOX_LIMIT, undefined, decoys))
    if (!posted) return this.send({ type: 'ack', id: msg.id, results: msg.items.map(() => ({ code: ErrorCode.MAILBOX_FULL })) })
    this.send({ type: 'ack', id: msg.id, results: posted.items.map((sseq) => ({ sseq })) })
    this.fanout.mail({ to: msg.to, dests, ids: posted.ids, bodies: msg.items, fanout: dests.length + decoys.length })
  }

  /** [S11] Handled items go; with a pool key, their decoy rows go in step (ChangeStore invariant 8). */
  private async onMailDone(msg: MailDone): Promise<void> {
    const keys = new Map((msg.pools ?? []).map((p) => [p.id, p.key]))
    // A pool not in the cache costs up to 20,000 hashes: each connection may have the server
    // compute a few (POOL_BUDGET, one more every POOL_REFILL_MS); beyond that, decoys of the
    // items it reads stay until they expire. An honest device names one pool per organisation.
    const mayCompute = () => {
      const now = Date.now()
      this.poolTokens = Math.min(POOL_BUDGET, this.poolTokens + (now - this.poolRefilled) / POOL_REFILL_MS)
      this.poolRefilled = now
      if (this.poolTokens < 1) return false
      this.poolTokens -= 1
      return true
    }
    // Pools are computed before the delete, in steps with other connections served between
    // (decoyPools.ts `prepare`); the delete then only looks them up.
    if (keys.size) {
      for (const item of await this.ctx.store.readMailItems(this.dest!, [...keys.keys()])) {
        await this.ctx.decoyPools.prepare(keys.get(item.id)!, item.fanout, mayCompute)
      }
    }
    const pools = keys.size ? (id: number, fanout: number) => {
      const key = keys.get(id)
      return key && this.ctx.decoyPools.peek(key, fanout)
    } : undefined
    return this.ctx.store.deleteMail(this.dest!, msg.ids, pools)
  }

  sendMail(items: MailItem[]): void {
    this.send({ type: 'mailbox', items })
  }

  private async onJoin(msg: Join): Promise<void> {
    const key = toBase64Url(msg.conv)
    // [S3] capability proof over this connection's challenge.
    if (!(await verifyCapabilityProof(msg.proof, this.challenge, msg.conv, msg.epoch, msg.cap))) {
      return this.reject(ErrorCode.CAPABILITY_REJECTED, undefined, key)
    }
    let stored = await this.ctx.store.getConv(msg.conv)
    if (!stored) {
      // [S3][K6] Only the creator device registers a conversation, and always with its admin key.
      const creator = !!msg.origin && bytesEqual(conversationIdOf(this.device!, msg.origin), msg.conv)
      if (!creator || !msg.admin) return this.reject(ErrorCode.NOT_REGISTERED, undefined, key)
      stored = await this.ctx.store.registerConv(msg.conv, msg.cap, msg.epoch, msg.admin)
    }
    if (stored.epoch !== msg.epoch || !bytesEqual(stored.capPublic, msg.cap)) {
      return this.reject(ErrorCode.CAPABILITY_REJECTED, undefined, key)
    }
    this.markJoined(msg.conv, msg.epoch)
  }

  private markJoined(conv: Uint8Array, epoch: number): void {
    const key = toBase64Url(conv)
    this.joined.set(key, epoch)
    let set = this.ctx.joins.get(key)
    if (!set) this.ctx.joins.set(key, (set = new Set()))
    set.add(this)
    this.send({ type: 'joined', conv, epoch })
  }

  /**
   * [S10] Capability rotation: proven with the conversation's admin capability. Every other
   * connection joined to the conversation loses it (CAPABILITY_REVOKED) and must join again
   * with the new epoch's capability, which a removed device cannot derive.
   */
  private async onRekey(msg: Rekey): Promise<void> {
    const key = toBase64Url(msg.conv)
    const stored = await this.ctx.store.getConv(msg.conv)
    // Compare-and-swap: a device that rotates from an epoch the conversation has left (a device
    // catching up, or a concurrent rotation) must not take the conversation back.
    if (stored?.admin && stored.epoch !== msg.from) {
      return this.send({ type: 'error', code: ErrorCode.REKEY_CONFLICT, message: errorText[ErrorCode.REKEY_CONFLICT].remote, ref: key, fatal: false, epoch: stored.epoch })
    }
    const valid =
      !!stored?.admin &&
      msg.epoch !== stored.epoch &&
      (await verifyRekeyProof(msg.proof, this.challenge, msg.conv, msg.epoch, msg.cap, msg.admin, stored.admin))
    if (!valid) return this.reject(ErrorCode.CAPABILITY_REJECTED, undefined, key)
    // The check above and this write are apart (the proof's check awaits): the store swaps only
    // from the epoch checked, so of two rotations racing, on this instance or another, one wins.
    if (!(await this.ctx.store.rekeyConv(msg.conv, msg.cap, msg.epoch, msg.admin, stored.epoch))) {
      const now = await this.ctx.store.getConv(msg.conv)
      return this.send({ type: 'error', code: ErrorCode.REKEY_CONFLICT, message: errorText[ErrorCode.REKEY_CONFLICT].remote, ref: key, fatal: false, epoch: now?.epoch ?? stored.epoch })
    }
    this.fanout.rekey(msg.conv, this)
    this.ctx.log.info({ conn: this.id }, 'capability rotated')
    this.markJoined(msg.conv, msg.epoch)
  }

  /** [S46] A signal was dropped over budget since the last one that passed: one RATE_LIMITED said so. */
  private signalsLimited = false

  /**
   * [S44] A signal goes at once to the conversation's other joined connections, and nowhere else:
   * no store, no log line, no answer. Only on a connection joined to the conversation — after a
   * rotation that is only one joined at its current epoch, since [S10] revokes every other join.
   */
  private onSignal(msg: Signal): void {
    const convKey = toBase64Url(msg.conv)
    if (!this.joined.has(convKey)) return this.reject(ErrorCode.NOT_JOINED, undefined, convKey)
    // [S46] Over the device's budget the signal is dropped; the first of a run is told, once.
    if (this.ctx.budgets.signals.take(this.budgetKey) > 0) {
      if (this.signalsLimited) return
      this.signalsLimited = true
      this.ctx.metrics.rateLimit('refused')
      return this.send({ type: 'error', code: ErrorCode.RATE_LIMITED, message: errorText[ErrorCode.RATE_LIMITED].remote, ref: convKey, fatal: false })
    }
    this.signalsLimited = false
    this.fanout.signal(msg.conv, msg.body, this)
  }

  /** [S45][S47] Another connection's signal: sent now, or dropped when this reader is behind. Never queued. */
  relay(conv: Uint8Array, convKey: string, body: Uint8Array): void {
    if (this.closed || !this.joined.has(convKey)) return
    if (this.socket.bufferedAmount > this.ctx.limits.maxSignalBufferedBytes) return
    this.send({ type: 'relay', conv, body })
  }

  /** [S50][S51] Web Push registrations and wakes: handled by sync-server/push, answered only with a refusal's code. */
  private async onPushFrame(msg: PushRegister | PushUnregister | Wake): Promise<void> {
    const code = this.ctx.push ? await this.ctx.push.handle(msg, this.budgetKey) : ErrorCode.PUSH_OFF
    if (code === ErrorCode.RATE_LIMITED) this.ctx.metrics.rateLimit('refused')
    if (code !== undefined) this.reject(code)
  }

  /** Drops this connection's access to a conversation after a rotation ([S10]). */
  revoke(convKey: string): void {
    if (!this.joined.delete(convKey)) return
    forget(this.ctx.joins, convKey, this)
    for (const key of [...this.subs.keys()]) {
      if (!key.startsWith(convKey)) continue
      this.subs.delete(key)
      this.ctx.hub.remove(key, this)
    }
    this.send({ type: 'error', code: ErrorCode.CAPABILITY_REVOKED, message: errorText[ErrorCode.CAPABILITY_REVOKED].remote, ref: convKey, fatal: false })
  }

  private async onPush(msg: Push): Promise<void> {
    // [S6] the limit announced in the challenge is enforced, not only the schema's hard cap.
    if (msg.envelopes.length > this.ctx.limits.maxEnvelopesPerPush) return this.reject(ErrorCode.FRAME_TOO_LARGE)
    const results: PushResult[] = new Array(msg.envelopes.length)
    const checked: { index: number; parts: EnvelopeParts; bytes: Uint8Array }[] = []
    msg.envelopes.forEach((bytes, index) => {
      const parts = splitEnvelope(bytes)
      if (!parts) results[index] = { code: ErrorCode.BAD_ENVELOPE }
      else if (!this.joined.has(toBase64Url(parts.header.conv))) results[index] = { code: ErrorCode.NOT_JOINED }
      // [S12] only the conversation's current epoch: a removed member's last envelope under the
      // epoch it still holds, or one pushed for it by a colluding member, is never stored.
      else if (this.joined.get(toBase64Url(parts.header.conv)) !== parts.header.epoch) results[index] = { code: ErrorCode.STALE_EPOCH }
      else checked.push({ index, parts, bytes })
    })
    const signatures = await Promise.all(checked.map((c) => verifyEnvelopeSignature(c.parts)))
    const items: AppendItem[] = []
    const slots: { index: number; bytes: Uint8Array }[] = []
    checked.forEach((c, i) => {
      if (!signatures[i]) return void (results[c.index] = { code: ErrorCode.BAD_ENVELOPE })
      const h = c.parts.header
      // [S56] The day the pusher names for this envelope's document (the schema checked its range and count).
      const keep = msg.keep?.[c.index] ?? 0
      items.push({ kind: h.kind, conv: h.conv, doc: h.doc, chain: h.chain, seq: h.seq, prev: h.prev, hash: hashOfEnvelope(c.parts), bytes: c.bytes, keep })
      slots.push(c)
    })
    const appended = items.length ? await this.ctx.metrics.storeAppend(items, () => this.ctx.store.append(items)) : []
    const fresh = new Map<string, { conv: Uint8Array; doc: Uint8Array; items: { sseq: number; env: Uint8Array }[] }>()
    appended.forEach((r, i) => {
      const slot = slots[i]!
      if (!r.ok) return void (results[slot.index] = { code: APPEND_REASON[r.reason] })
      results[slot.index] = { sseq: r.sseq }
      if (r.duplicate) return
      const item = items[i]!
      const key = subscriptionKey(item.conv, item.doc)
      let group = fresh.get(key)
      if (!group) fresh.set(key, (group = { conv: item.conv, doc: item.doc, items: this.ctx.metrics.committed([]) }))
      group.items.push({ sseq: r.sseq, env: slot.bytes })
    })
    // Invariant 1 of ChangeStore: the append above is durable before this ack is sent.
    this.send({ type: 'ack', id: msg.id, results })
    for (const g of fresh.values()) this.fanout.envelopes(g.conv, g.doc, g.items, this)
  }

  private async onSubscribe(msg: Subscribe): Promise<void> {
    const convKey = toBase64Url(msg.conv)
    if (!this.joined.has(convKey)) return this.reject(ErrorCode.NOT_JOINED, undefined, convKey)
    const key = subscriptionKey(msg.conv, msg.doc)
    if (this.subs.has(key)) this.onUnsubscribe({ type: 'unsubscribe', conv: msg.conv, doc: msg.doc })
    const sub: Subscription = { conv: msg.conv, cursor: msg.cursor, pending: [] }
    this.subs.set(key, sub)
    // Register before reading the backlog so nothing appended in between is missed.
    this.ctx.hub.add(msg.conv, msg.doc, this)
    // [S9] snapshots that replaced envelopes this reader has not seen come first.
    const snapshots = await this.ctx.store.snapshots(msg.conv, msg.doc, sub.cursor)
    if (snapshots.length && !this.closed) this.send({ type: 'snapshots', conv: msg.conv, doc: msg.doc, envs: snapshots })
    const size = new BacklogPage(this.ctx.limits.maxFrameBytes)
    for (;;) {
      const page = await this.ctx.store.read(msg.conv, msg.doc, sub.cursor, size.size)
      if (this.closed || this.subs.get(key) !== sub) return
      if (page.length === 0) break
      size.saw(page)
      sub.cursor = page[page.length - 1]!.sseq
      // A backlog page has its own backpressure (drain): it never counts as falling behind.
      for (const items of framesOf(page.map((e) => ({ sseq: e.sseq, env: e.bytes })), this.ctx.limits.maxFrameBytes)) {
        this.send({ type: 'envelopes', conv: msg.conv, doc: msg.doc, items, live: false }, false)
        this.ctx.metrics.backlogSent(items.length)
      }
      await this.drain()
    }
    this.send({ type: 'caught-up', conv: msg.conv, doc: msg.doc, cursor: sub.cursor })
    const pending = sub.pending ?? []
    sub.pending = undefined
    this.deliver(msg.conv, msg.doc, pending)
  }

  private onUnsubscribe(msg: Unsubscribe): void {
    const key = subscriptionKey(msg.conv, msg.doc)
    if (!this.subs.delete(key)) return
    this.ctx.hub.remove(key, this)
  }

  deliver(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[]): void {
    const sub = this.subs.get(subscriptionKey(conv, doc))
    if (!sub || this.closed) return
    if (sub.pending) return void sub.pending.push(...items)
    const fresh = items.filter((i) => i.sseq > sub.cursor)
    if (fresh.length === 0) return
    // [S21] Not the next sseq: what is in between went through another instance and is read first.
    if (fresh[0]!.sseq !== sub.cursor + 1) return this.refill(conv, doc, sub, fresh)
    sub.cursor = fresh[fresh.length - 1]!.sseq
    this.send({ type: 'envelopes', conv, doc, items: fresh, live: true })
    this.ctx.metrics.delivered(items, fresh.length)
  }

  /** [S21] This connection's own envelopes, stored: its cursor moves past them if nothing is missing before them. */
  pushed(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[]): void {
    const sub = this.subs.get(subscriptionKey(conv, doc))
    if (sub && !sub.pending && items[0]?.sseq === sub.cursor + 1) sub.cursor = items[items.length - 1]!.sseq
  }

  /**
   * [S21] Live envelopes after a gap (invariant 4 of ChangeStore: sseqs have none): the store is
   * read from the cursor on, as a backlog, and what arrives meanwhile waits, as during a subscribe.
   * Anything that waited was committed before it arrived, so a read after it covers it; a gap
   * still left after a third read is envelopes a snapshot pruned, and is not read again.
   */
  private refill(conv: Uint8Array, doc: Uint8Array, sub: Subscription, held: { sseq: number; env: Uint8Array }[]): void {
    const key = subscriptionKey(conv, doc)
    sub.pending = held
    const after = (cursor: number) => {
      // Arrived from several instances: in any order, and possibly twice.
      const byseq = new Map((sub.pending ?? []).filter((i) => i.sseq > cursor).map((i) => [i.sseq, i]))
      return [...byseq.values()].sort((a, b) => a.sseq - b.sseq)
    }
    const read = async () => {
      const size = new BacklogPage(this.ctx.limits.maxFrameBytes)
      for (let rereads = 0; ; ) {
        const page = await this.ctx.store.read(conv, doc, sub.cursor, size.size)
        if (this.closed || this.subs.get(key) !== sub) return
        if (page.length === 0) {
          const next = after(sub.cursor)[0]
          if (!next || next.sseq === sub.cursor + 1 || ++rereads > 2) break
          continue
        }
        size.saw(page)
        sub.cursor = page[page.length - 1]!.sseq
        for (const items of framesOf(page.map((e) => ({ sseq: e.sseq, env: e.bytes })), this.ctx.limits.maxFrameBytes)) {
          this.send({ type: 'envelopes', conv, doc, items, live: true }, false)
          this.ctx.metrics.delivered(items, items.length)
        }
        await this.drain()
      }
      const rest = after(sub.cursor)
      sub.pending = undefined
      if (rest.length === 0) return
      sub.cursor = rest[rest.length - 1]!.sseq
      this.send({ type: 'envelopes', conv, doc, items: rest, live: true })
      this.ctx.metrics.delivered(rest, rest.length)
    }
    // The store failed: this device reconnects and resumes from its cursor, losing nothing.
    read().catch(() => this.fail(ErrorCode.INTERNAL, true))
  }

  /** [S21] Where live events go: every instance's connections, or this process's only. */
  private get fanout(): Fanout {
    return this.ctx.fanout ?? (this.ownFanout ??= localFanout(this.ctx))
  }
  private ownFanout: Fanout | undefined

  /** Backpressure for backlogs: wait while the socket has a lot unsent. */
  private async drain(): Promise<void> {
    while (!this.closed && this.socket.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 20))
  }

  private send(msg: ServerMessage, bounded = true): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return
    this.lastActive = performance.now() // a reader that only receives is not idle
    this.socket.send(encodeFrame(msg))
    this.ctx.metrics.frameOut(msg.type)
    // [S6] A reader that falls behind is let go: the store keeps everything, and it resumes from its cursor.
    if (bounded && this.socket.bufferedAmount > this.ctx.limits.maxBufferedBytes && msg.type !== 'error') this.fail(ErrorCode.SLOW_READER, true)
  }

  /** A coded, non-fatal refusal; too many in a row closes the socket. */
  private reject(code: ErrorCode, maxStrikes = 100, ref?: string): void {
    this.ctx.metrics.rejected(code, false)
    this.ctx.log.warn({ conn: this.id, code }, 'frame rejected')
    this.send({ type: 'error', code, message: errorText[code].remote, fatal: false, ...(ref ? { ref } : {}) })
    if (++this.strikes >= maxStrikes) this.fail(code, true)
  }

  private fail(code: ErrorCode, fatal: boolean, detail?: string): void {
    this.ctx.log.warn({ conn: this.id, code, fatal }, 'connection error')
    this.ctx.metrics.rejected(code, fatal)
    this.send({ type: 'error', code, message: detail ?? errorText[code].remote, fatal })
    if (fatal) {
      this.socket.close(4000 + (code % 1000), errorText[code].remote.slice(0, 100))
      // A peer that never answers the close is cut off: nothing of it is kept.
      const socket = this.socket
      setTimeout(() => socket.terminate(), this.ctx.limits.closeGraceMs).unref?.()
      this.dispose()
    }
  }

  private dispose(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.handshakeTimer)
    clearInterval(this.idleTimer)
    clearTimeout(this.releaseTimer)
    this.held = []
    for (const key of this.subs.keys()) this.ctx.hub.remove(key, this)
    this.subs.clear()
    // Registries keep no key without a connection: a server that saw a million devices holds none of them.
    for (const conv of this.joined.keys()) forget(this.ctx.joins, conv, this)
    if (this.mailbox) forget(this.ctx.mailboxes, toHex(this.mailbox), this)
  }
}
