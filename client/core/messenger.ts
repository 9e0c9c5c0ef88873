import * as A from '@automerge/automerge'
import { generateEpochKey, openEnvelope, randomBytes, toBase64Url, type EpochKey } from '../../crypto/index.js'
import { Keyring } from './keyring.js'
import { SegmentWindow } from './segmentWindow.js'
import { MailOutbox } from './mailOutbox.js'
import { idBytes, type ConvId, type DeviceId, type DocId } from '../../protocol/index.js'
import { decodeChanges } from './payload.js'
import { DocStore } from './docs.js'
import { SyncEngine, type ConnectionState } from './engine.js'
import { ClientError, ClientErrorCode, type ClientErrorCode as Code } from './errors.js'
import { Emitter } from './events.js'
import { HybridClock } from './hlc.js'
import { createIdentity, loadIdentity, normaliseName, type Identity } from './identity.js'
import { newConversationId, newMessageId } from './ids.js'
import { inviteLink, type Invitation } from './invite.js'
import {
  MAX_MESSAGE_CHARS, SEGMENT_CAPACITY, SEGMENT_GENESIS, compareMessages, readMemberBoxes, readMembers, readTitle,
  type MessageRecord, type MessageView, type RootDoc, type SegmentDoc,
} from './model.js'
import { Outbox } from './outbox.js'
import { Registry } from './registry.js'
import { AccessState } from './access.js'
import { ConversationLayout, rootDocOf } from './layout.js'
import { Team } from './team/team.js'
import type { LocalStore } from './storage/LocalStore.js'
import type { SocketFactory } from './transport.js'

export interface MessengerOptions {
  readonly store: LocalStore
  /** ws(s)://host/sync */
  readonly url: string
  readonly socket: SocketFactory
  readonly clock?: HybridClock
  readonly heartbeatMs?: number
  readonly backoff?: { initialMs: number; maxMs: number }
  /** Messages per segment before rolling over (tests use small values). */
  readonly segmentCapacity?: number
  /** Acknowledged envelopes per document before this device snapshots its own log. */
  readonly snapshotEvery?: number
  /** Bytes of membership ops per bundle part ([T13]); tests make it small. */
  readonly bundleBytes?: number
}

export interface ConversationSummary {
  readonly conv: ConvId
  readonly title: string
  readonly members: number
}

export interface DisplayMessage extends MessageView {
  readonly authorName: string
  readonly mine: boolean
  readonly pending: boolean
}

export interface Status {
  readonly connection: ConnectionState
  readonly pending: number
}

export interface MessengerEvents extends Record<string, unknown> {
  status: Status
  conversations: void
  messages: { conv: ConvId }
  /** Messages that appeared in a loaded segment (local or remote), in no particular order. */
  added: { conv: ConvId; messages: MessageView[] }
  problem: { code: Code; detail?: string }
  /** [T11] This conversation has messages waiting for a key this device does not hold yet. */
  waiting: { conv: ConvId; waiting: boolean }
  /** The server refused this device's access to a conversation (removed), or granted it again. */
  access: { conv: ConvId; lost: boolean }
}

/** The root document of a conversation shares the conversation's id. */
export { rootDocOf }

/**
 * The engine's public face: everything a person does is a local change first, then queued in
 * the outbox; the network is never awaited. UI code (client/web, client/cli) calls only this.
 */
export class Messenger {
  readonly events = new Emitter<MessengerEvents>()
  private docs!: DocStore
  private engine!: SyncEngine
  private outbox!: Outbox
  private mailOut!: MailOutbox
  private keyring!: Keyring
  private readonly registry: Registry
  private readonly clock: HybridClock
  private readonly pending = new Set<string>()
  private segs!: SegmentWindow
  private layout!: ConversationLayout
  private readonly convOfDoc = new Map<DocId, ConvId>()
  private sendChain: Promise<unknown> = Promise.resolve()
  /** Organisations and groups ([T1]–[T13]); undefined until this device has an identity. */
  team!: Team
  private access!: AccessState
  identity: Identity | undefined

  private constructor(private readonly options: MessengerOptions) {
    this.registry = new Registry(options.store)
    this.clock = options.clock ?? new HybridClock()
  }

  /** Opens local state; the device may have no identity yet (see `createIdentity`). */
  static async open(options: MessengerOptions): Promise<Messenger> {
    const m = new Messenger(options)
    m.identity = await loadIdentity(options.store)
    await m.registry.load()
    if (m.identity) await m.boot(m.identity)
    return m
  }

  async createIdentity(name: string): Promise<Identity> {
    if (this.identity) return this.identity
    this.identity = await createIdentity(this.options.store, name)
    await this.boot(this.identity)
    return this.identity
  }

  /** Stored records that could not be read; they are kept aside, and the person is told. */
  get corruptRecords(): readonly string[] {
    return [...this.registry.corrupt, ...(this.outbox?.corrupt ?? [])]
  }

  private async boot(identity: Identity): Promise<void> {
    // Segments start from the shared genesis change; the root starts empty.
    this.docs = new DocStore(this.options.store, identity.actor, (doc) => (this.layout.isRoot(doc) ? undefined : SEGMENT_GENESIS))
    this.outbox = new Outbox(this.options.store)
    this.segs = new SegmentWindow(this.docs, this.clock)
    this.mailOut = new MailOutbox(this.options.store, () => this.emitStatus())
    this.engine = new SyncEngine(identity, this.registry, this.docs, this.outbox, {
      url: this.options.url,
      socket: this.options.socket,
      docsOf: (conv) => [...this.layout.rootsOf(conv), ...this.segs.segmentsOf(conv).map((s) => s.id)],
      isRoot: (conv, doc) => this.layout.rootsOf(conv).includes(doc),
      adminSecrets: (conv, rec) =>
        this.team?.isSpace(conv) ? this.team.core.adminSecretsFor(conv, rec.serverEpoch, rec.epoch) : rec.adminSecret && { sign: rec.adminSecret, next: rec.adminSecret },
      heartbeatMs: this.options.heartbeatMs,
      backoff: this.options.backoff,
      snapshotEvery: this.options.snapshotEvery,
      mail: this.mailOut,
      onMail: (items) => this.onMail(items),
    })
    this.keyring = new Keyring({
      registry: this.registry,
      engine: this.engine,
      mailOut: this.mailOut,
      identity,
      memberBoxes: async (conv) => {
        const root = await this.docs.doc<RootDoc>(rootDocOf(conv))
        return root ? readMemberBoxes(root, this.adminsOf(conv)) : new Map()
      },
      adminsOf: (conv) => this.adminsOf(conv),
      refused: (detail) => this.events.emit('problem', { code: ClientErrorCode.ENVELOPE_REJECTED, detail }),
    })
    this.layout = new ConversationLayout({
      docs: this.docs,
      segs: this.segs,
      engine: this.engine,
      keyring: this.keyring,
      clock: this.clock,
      team: () => this.team,
      convOfDoc: this.convOfDoc,
      segmentCapacity: this.options.segmentCapacity ?? SEGMENT_CAPACITY,
      change: (conv, doc, fns) => this.changeAndQueue(conv, doc, fns, []),
    })
    this.team = new Team({
      store: this.options.store,
      identity,
      registry: this.registry,
      engine: this.engine,
      mailOut: this.mailOut,
      changed: (conv) => {
        this.convOfDoc.set(rootDocOf(conv), conv)
        this.events.emit('conversations', undefined)
        this.events.emit('messages', { conv })
        if (this.registry.get(conv)) void this.layout.refresh(conv)
      },
      problem: (code, detail) => this.events.emit('problem', { code, ...(detail ? { detail } : {}) }),
      removed: (conv, removed) => this.access.setLost(conv, removed),
      ...(this.options.bundleBytes ? { bundleBytes: this.options.bundleBytes } : {}),
    })
    await this.outbox.load()
    await this.mailOut.load()
    for (const id of this.outbox.pendingMessageIds()) this.pending.add(id)
    this.docs.events.on('change', ({ doc }) => this.onDocChange(doc))
    this.engine.events.on('state', () => this.emitStatus())
    this.engine.events.on('delivered', ({ msgIds }) => {
      for (const id of msgIds) this.pending.delete(id)
      this.emitStatus()
      for (const rec of this.registry.list()) this.events.emit('messages', { conv: rec.conv })
    })
    this.engine.events.on('problem', (p) => this.events.emit('problem', p))
    this.engine.events.on('waiting', (w) => this.events.emit('waiting', w))
    this.access = new AccessState({
      memberByGraph: (conv) => this.team.isSpace(conv) && this.team.isMember(conv),
      rejoin: (conv) => void this.engine.rejoin(conv),
      emitAccess: (conv, lost) => this.events.emit('access', { conv, lost }),
      emitWaiting: (conv) => this.events.emit('waiting', { conv, waiting: this.waitingForKey(conv) }),
    })
    this.engine.events.on('access', (a) => this.access.onServer(a.conv, a.lost))
    this.engine.events.on('rekeyConflict', ({ conv, epoch }) => void this.onRekeyConflict(conv, epoch))
    this.engine.events.on('proxyRekey', ({ conv, outcome, epoch }) => void this.team.core.run(() => this.team.core.proxies.settled(conv, outcome, epoch)))
    this.engine.events.on('joined', ({ conv, epoch }) => {
      if (this.team.isSpace(conv)) void this.team.core.run(() => this.team.core.onJoined(conv, epoch))
    })
    for (const rec of this.registry.list()) {
      this.convOfDoc.set(rootDocOf(rec.conv), rec.conv)
      await this.recoverOutbox(rec.conv)
      await this.layout.refresh(rec.conv)
    }
    await this.team.load()
  }

  /**
   * [S10] The server is not at the epoch this device rotated from. A team space decides from its
   * graph; an ad-hoc conversation (one admin, who made every rotation) rotates again from the
   * server's epoch when it is one of its own.
   */
  private async onRekeyConflict(conv: ConvId, epoch: number): Promise<void> {
    if (this.team.isSpace(conv)) return this.team.core.run(() => this.team.core.onRekeyConflict(conv, epoch))
    await this.registry.update(conv, (r) => ({ ...r, serverEpoch: epoch, rekeyPending: r.keys.has(epoch) && r.epoch !== epoch }))
    await this.engine.rejoin(conv)
  }

  /** Mailbox items: team bundles and join requests first, the rest is key mail ([M21]). */
  private async onMail(items: readonly { id: number; body: Uint8Array }[]): Promise<void> {
    const rest: { id: number; body: Uint8Array }[] = []
    const done: number[] = []
    for (const item of items) {
      if (await this.team.core.onMail(item.body)) done.push(item.id)
      else rest.push(item)
    }
    if (done.length) this.engine.mailDone(done)
    if (rest.length) await this.keyring.onMail(rest)
  }

  /**
   * The outbox is the durability point; the document is saved a moment later. After a crash,
   * queued changes may be newer than the saved document: apply them again (idempotent).
   */
  private async recoverOutbox(conv: ConvId): Promise<void> {
    const rec = this.registry.get(conv)!
    for (const doc of this.outbox.pendingDocs(conv)) {
      this.convOfDoc.set(doc, conv)
      const changes = this.outbox.raw(conv, doc).flatMap((r) => r.changes)
      const ctx = { conv: idBytes(conv), doc: idBytes(doc), keyFor: (epoch: number) => rec.keys.get(epoch) }
      for (const sealed of this.outbox.sealed(conv, doc)) {
        const opened = await openEnvelope(sealed.env, ctx)
        const batch = opened.ok ? decodeChanges(opened.value.payload) : undefined
        if (batch) changes.push(...batch)
      }
      if (changes.length) await this.docs.apply(doc, changes)
    }
  }

  start(): void {
    this.requireIdentity()
    this.engine.start()
  }

  async stop(): Promise<void> {
    if (!this.identity) return
    await this.sendChain
    await this.engine.stop()
    await this.docs.shutdown()
  }

  /** Reconnect now, e.g. on the browser's `online` event. */
  kick(): void {
    this.engine?.kick()
  }

  get status(): Status {
    // Messages not yet delivered, and membership changes, invitations and keys not yet posted.
    return { connection: this.engine?.state ?? 'offline', pending: this.pending.size + (this.mailOut?.size ?? 0) }
  }

  conversations(): ConversationSummary[] {
    return this.registry.list().map((rec) => ({ conv: rec.conv, title: this.titleOf(rec.conv), members: this.members(rec.conv).size }))
  }

  titleOf(conv: ConvId): string {
    if (this.team?.isSpace(conv)) return this.team.group(conv)?.name || this.registry.get(conv)?.title || 'Group'
    const root = this.layout.rootNow(conv)
    return (root && readTitle(root)) || this.registry.get(conv)?.title || 'Conversation'
  }

  members(conv: ConvId): Map<DeviceId, string> {
    if (this.team?.isSpace(conv)) {
      const names = this.team.deviceNames(conv)
      return new Map(this.team.memberPeople(conv).map((d) => [d, names.get(d) ?? 'Unknown']))
    }
    const root = this.layout.rootNow(conv)
    return root ? readMembers(root, this.adminsOf(conv)) : new Map()
  }

  /** Admin devices of a conversation (its creator, as named in the invitation). */
  adminsOf(conv: ConvId): ReadonlySet<string> {
    return new Set(this.registry.get(conv)?.admins ?? [])
  }

  isAdmin(conv: ConvId): boolean {
    if (this.team?.isSpace(conv)) return this.team.canAdmin(conv)
    return !!this.registry.get(conv)?.adminSecret
  }

  async createConversation(title: string): Promise<ConvId> {
    const identity = this.requireIdentity()
    const clean = normaliseName(title) || 'Conversation'
    const { conv, origin } = newConversationId(identity.keys.signPublic)
    // The creator holds the conversation's admin capability: it may rotate the key ([S10]), and
    // only it can register the conversation on the server ([S3]).
    await this.registry.put({
      conv, title: clean, epoch: 0, keys: new Map([[0, generateEpochKey()]]), joinedAt: Date.now(), adminSecret: randomBytes(32), admins: [identity.deviceId], origin,
    })
    this.convOfDoc.set(rootDocOf(conv), conv)
    await this.changeAndQueue(conv, rootDocOf(conv), [
      (d: RootDoc) => {
        d.title = new A.ImmutableString(clean)
        d[`m:${identity.deviceId}`] = { name: new A.ImmutableString(identity.name), at: Date.now(), box: new A.ImmutableString(toBase64Url(identity.keys.boxPublic)) }
      },
    ], [])
    this.events.emit('conversations', undefined)
    await this.engine.track(conv)
    return conv
  }

  /** [T11] Messages of this conversation wait for a key this device does not hold yet. */
  waitingForKey(conv: ConvId): boolean {
    return !!this.access?.isKeyMissing(conv) || (this.engine?.waitingForKey(conv) ?? false)
  }

  /** The server no longer lets this device read or write the conversation ([T10]). */
  accessLost(conv: ConvId): boolean {
    return !!this.access?.isLost(conv)
  }

  /** "Retry" on a conversation waiting for its key: fetch again what could not be opened. */
  async retryKeys(conv: ConvId): Promise<void> {
    if (this.access.retry(conv)) await this.engine.rejoin(conv)
    return this.engine.retryKeys(conv)
  }

  /**
   * Rotates a conversation's key (admins only): a new random epoch and key, mailed to every
   * member device and registered on the server at once or on the next connection ([S10]).
   */
  async rotateKey(conv: ConvId): Promise<{ epoch: number; key: EpochKey }> {
    const next = await this.keyring.newEpoch(conv)
    await this.keyring.mailToNewcomers(conv) // every member keeps access
    await this.engine.rejoin(conv)
    this.engine.requestFlush() // pending changes are sealed under the new epoch from now on
    return next
  }

  /**
   * Removes a device from a conversation (admins only): marks it removed in the root, makes a
   * new epoch, seals the keys to every remaining member device by key mail, then rotates the
   * server's capability — in that order, so the mail is stored before anyone is revoked. Works
   * offline: it all takes effect when this device reconnects. The removed device keeps what it
   * had and gets nothing new ([T10]).
   */
  async removeMember(conv: ConvId, device: DeviceId): Promise<void> {
    const identity = this.requireIdentity()
    const rec = this.registry.get(conv)
    if (!rec) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    if (this.team.isSpace(conv)) {
      // A group: the person (all their devices) leaves it; an organisation: they leave it all.
      const user = this.team.userOfDevice(conv, device)
      if (!user) throw new ClientError(ClientErrorCode.NOT_MEMBER)
      if (device === identity.deviceId) throw new ClientError(ClientErrorCode.NOT_ADMIN, 'an admin cannot remove itself')
      return rec.space?.kind === 'org' ? this.team.removeFromOrg(conv, user) : this.team.removeFromGroup(conv, user)
    }
    if (!rec.adminSecret) throw new ClientError(ClientErrorCode.NOT_ADMIN)
    if (device === identity.deviceId) throw new ClientError(ClientErrorCode.NOT_ADMIN, 'an admin cannot remove itself')
    if (!this.members(conv).has(device)) throw new ClientError(ClientErrorCode.NOT_MEMBER)
    await this.changeAndQueue(conv, rootDocOf(conv), [(d: RootDoc) => void (d[`x:${device}`] = { at: Date.now() })], [])
    await this.keyring.newEpoch(conv)
    await this.keyring.mailToNewcomers(conv)
    await this.engine.rejoin(conv)
    this.engine.requestFlush()
    await this.layout.refresh(conv)
    this.events.emit('conversations', undefined)
  }

  /** Adds an epoch key this device received; `current` makes it the epoch to write under. */
  addEpochKey(conv: ConvId, epoch: number, key: EpochKey, current: boolean): Promise<void> {
    return this.keyring.add(conv, epoch, key, current)
  }

  invitation(conv: ConvId): Invitation {
    const rec = this.registry.get(conv)
    if (!rec) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    const history = [...rec.keys].filter(([e]) => e !== rec.epoch).map(([epoch, key]) => ({ epoch, key }))
    const admins = (rec.admins ?? []) as DeviceId[]
    return { conv, epoch: rec.epoch, key: rec.keys.get(rec.epoch)!, title: this.titleOf(conv), ...(history.length ? { history } : {}), ...(admins.length ? { admins } : {}) }
  }

  /** Every epoch key this device holds for a conversation (for key-chain handover). */
  invitationKeys(conv: ConvId): { epoch: number; key: EpochKey }[] {
    const rec = this.registry.get(conv)
    return rec ? [...rec.keys].map(([epoch, key]) => ({ epoch, key })) : []
  }

  inviteLink(origin: string, conv: ConvId): string {
    return inviteLink(origin, this.invitation(conv))
  }

  /** Joins from an invitation; works offline (the history arrives when the link is back). */
  async join(inv: Invitation): Promise<ConvId> {
    const identity = this.requireIdentity()
    const existing = this.registry.get(inv.conv)
    if (!existing) {
      const keys = new Map([...(inv.history ?? []).map((h) => [h.epoch, h.key] as const), [inv.epoch, inv.key] as const])
      await this.registry.put({ conv: inv.conv, title: inv.title, epoch: inv.epoch, keys, joinedAt: Date.now(), ...(inv.admins ? { admins: inv.admins } : {}) })
    }
    this.convOfDoc.set(rootDocOf(inv.conv), inv.conv)
    const root = await this.docs.doc<RootDoc>(rootDocOf(inv.conv))
    if (!root || !readMembers(root).has(identity.deviceId)) {
      await this.changeAndQueue(inv.conv, rootDocOf(inv.conv), [
        (d: RootDoc) => {
          d[`m:${identity.deviceId}`] = { name: new A.ImmutableString(identity.name), at: Date.now(), box: new A.ImmutableString(toBase64Url(identity.keys.boxPublic)) }
        },
      ], [])
    }
    this.events.emit('conversations', undefined)
    await this.engine.track(inv.conv)
    return inv.conv
  }

  /** Loads the conversation's root and its newest segment (not its whole history). */
  async openConversation(conv: ConvId): Promise<void> {
    if (!this.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    await this.layout.refresh(conv)
    await this.segs.open(conv)
    this.events.emit('messages', { conv })
  }

  /** True when older segments exist that are not loaded yet. */
  hasEarlier(conv: ConvId): boolean {
    return this.segs.hasEarlier(conv)
  }

  async loadEarlier(conv: ConvId): Promise<void> {
    await this.segs.loadEarlier(conv)
    this.events.emit('messages', { conv })
  }

  /** Messages of the loaded segments in display order (timestamp, id). */
  messages(conv: ConvId): DisplayMessage[] {
    const me = this.identity?.deviceId
    // Every entry, removed members too: what they wrote keeps its author's name.
    const root = this.layout.rootNow(conv)
    const names: Map<DeviceId, string> = this.team?.isSpace(conv) ? this.team.deviceNames(conv) : root ? readMembers(root, this.adminsOf(conv), { includeRemoved: true }) : new Map()
    const out: DisplayMessage[] = []
    for (const m of this.segs.views(conv)) {
      out.push({ ...m, authorName: names.get(m.author) ?? `Device ${m.author.slice(0, 6)}`, mine: m.author === me, pending: this.pending.has(m.tag) })
    }
    return out.sort(compareMessages)
  }

  /**
   * Writes a message locally and queues it. Resolves once the message is in local storage
   * (the outbox): from then on it survives reloads and crashes, and goes out by itself.
   */
  send(conv: ConvId, text: string, replyTo?: string): Promise<MessageView> {
    this.requireIdentity()
    const body = text.replace(/\r\n/g, '\n').trim()
    if (!body) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_EMPTY))
    if (body.length > MAX_MESSAGE_CHARS) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_TOO_LONG))
    if (!this.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    const run = async (): Promise<MessageView> => {
      const segment = await this.layout.writableSegment(conv)
      const tag = newMessageId()
      const ts = this.clock.now()
      this.pending.add(tag)
      const [change] = await this.changeAndQueue(conv, segment, [
        (d: SegmentDoc) => {
          const rec: MessageRecord = { id: new A.ImmutableString(tag), ts, text: new A.ImmutableString(body) }
          if (replyTo) rec.replyTo = new A.ImmutableString(replyTo)
          d.messages.push(rec)
        },
      ], [tag], ts)
      this.emitStatus()
      // The message object is the change's first op: its id is startOp@actor.
      const id = `${A.decodeChange(change!).startOp}@${this.identity!.actor}`
      return { id, tag, segment, author: this.identity!.deviceId, ts, text: body, ...(replyTo ? { replyTo } : {}) }
    }
    const result = this.sendChain.then(run)
    this.sendChain = result.catch(() => undefined)
    return result
  }

  private async changeAndQueue<T>(conv: ConvId, doc: DocId, fns: A.ChangeFn<T>[], msgIds: string[], ts?: number): Promise<Uint8Array[]> {
    this.convOfDoc.set(doc, conv)
    const changes = await this.docs.change<T>(doc, fns, ts)
    await this.outbox.add(conv, doc, changes, msgIds)
    this.engine.requestFlush()
    return changes
  }

  private onDocChange(doc: DocId): void {
    const conv = this.convOfDoc.get(doc)
    if (!conv) return
    if (this.layout.isRoot(doc)) {
      void this.layout.refresh(conv).then(() => {
        this.events.emit('conversations', undefined)
        this.events.emit('messages', { conv })
      })
      return
    }
    // A segment that receives changes joins the loaded window: fresh activity (a late offline
    // writer, the next segment after a rollover) is shown without loading all history.
    void this.segs.scan(conv, doc).then((added) => {
      if (added.length) this.events.emit('added', { conv, messages: added })
      this.events.emit('messages', { conv })
    })
  }

  private emitStatus(): void {
    this.events.emit('status', this.status)
  }

  private requireIdentity(): Identity {
    if (!this.identity) throw new Error('create an identity first')
    return this.identity
  }
}
