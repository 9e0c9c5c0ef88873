import type { EpochKey } from '../../crypto/index.js'
import type { ConvId, DeviceId, DocId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from './errors.js'
import { Emitter } from './events.js'
import { HybridClock } from './documents/hlc.js'
import { createIdentity, loadIdentity, type Identity } from './identity.js'
import { inviteLink, type Invitation } from './conversations/invite.js'
import type { DisplayMessage } from './documents/messageLog.js'
import { readMembers, readTitle, type MessageView } from './documents/model.js'
import { makeParts, type Parts } from './parts.js'
import { recoverOutbox } from './outbox/recoverOutbox.js'
import { Registry } from './conversations/registry.js'
import type { MessengerEvents, MessengerOptions, Status, ConversationSummary } from './messengerTypes.js'
import { checkLocalFormat } from './storage/format.js'
import { rootDocOf } from './documents/layout.js'
import type { Team } from './team/team.js'

export type { ConversationSummary, MessengerEvents, MessengerOptions, Status } from './messengerTypes.js'

/** The root document of a conversation shares the conversation's id. */
export { rootDocOf }
export type { DisplayMessage }

/**
 * The engine's public face: everything a person does is a local change first, then queued in
 * the outbox; the network is never awaited. UI code (client/web, client/cli) calls only this.
 */
export class Messenger {
  readonly events = new Emitter<MessengerEvents>()
  private readonly registry: Registry
  private readonly clock: HybridClock
  private readonly pending = new Set<string>()
  private readonly convOfDoc = new Map<DocId, ConvId>()
  /**
   * Everything made from this device's identity, built whole by `makeParts` and set once (in
   * `open`, or in `createIdentity` for a new device); undefined only before there is an identity.
   */
  private parts: Parts | undefined
  identity: Identity | undefined

  /** Organisations and groups ([T1]–[T13]); there is a team once this device has an identity. */
  get team(): Team {
    return this.p.team
  }

  private get p(): Parts {
    if (!this.parts) throw new Error('this device has no identity yet: createIdentity first')
    return this.parts
  }

  private constructor(private readonly options: MessengerOptions) {
    this.registry = new Registry(options.store)
    this.clock = options.clock ?? new HybridClock()
  }

  /** Opens local state; the device may have no identity yet (see `createIdentity`). */
  static async open(options: MessengerOptions): Promise<Messenger> {
    await checkLocalFormat(options.store)
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
    return [...this.registry.corrupt, ...(this.parts?.outbox.corrupt ?? [])]
  }

  private async boot(identity: Identity): Promise<void> {
    const parts = makeParts(identity, {
      options: this.options,
      registry: this.registry,
      clock: this.clock,
      events: this.events,
      convOfDoc: this.convOfDoc,
      pending: this.pending,
      emitStatus: () => this.emitStatus(),
      adminsOf: (conv) => this.adminsOf(conv),
      members: (conv) => this.members(conv),
      waitingForKey: (conv) => this.waitingForKey(conv),
    })
    this.parts = parts
    await this.p.outbox.load()
    await this.p.mailOut.load()
    for (const id of this.p.outbox.pendingMessageIds()) this.pending.add(id)
    this.p.docs.events.on('change', ({ doc }) => this.onDocChange(doc))
    this.p.engine.events.on('state', () => this.emitStatus())
    this.p.engine.events.on('delivered', ({ msgIds }) => {
      for (const id of msgIds) this.pending.delete(id)
      this.emitStatus()
      for (const rec of this.registry.list()) this.events.emit('messages', { conv: rec.conv })
    })
    this.p.engine.events.on('problem', (p) => this.events.emit('problem', p))
    this.p.engine.events.on('waiting', (w) => this.events.emit('waiting', w))
    this.p.engine.events.on('access', (a) => this.p.access.onServer(a.conv, a.lost))
    this.p.engine.events.on('rekeyConflict', ({ conv, epoch }) => void this.onRekeyConflict(conv, epoch))
    this.p.engine.events.on('proxyRekey', ({ conv, outcome, epoch }) => void this.p.team.onProxyRekey(conv, outcome, epoch))
    this.p.engine.events.on('joined', ({ conv, epoch }) => {
      void this.p.team.onJoined(conv, epoch)
    })
    for (const rec of this.registry.list()) {
      this.convOfDoc.set(rootDocOf(rec.conv), rec.conv)
      await recoverOutbox(rec.conv, { registry: this.registry, outbox: this.p.outbox, docs: this.p.docs, convOfDoc: this.convOfDoc })
      await this.p.layout.refresh(rec.conv)
    }
    await this.p.team.load()
  }

  /**
   * [S10] The server is not at the epoch this device rotated from. A team space decides from its
   * graph; an ad-hoc conversation (one admin, who made every rotation) rotates again from the
   * server's epoch when it is one of its own.
   */
  private async onRekeyConflict(conv: ConvId, epoch: number): Promise<void> {
    if (this.p.team.isSpace(conv)) return this.p.team.onRekeyConflict(conv, epoch)
    return this.p.adhoc.onRekeyConflict(conv, epoch)
  }

  start(): void {
    this.requireIdentity()
    this.p.engine.start()
  }

  async stop(): Promise<void> {
    if (!this.identity) return
    await this.p.log.settled
    await this.p.engine.stop()
    await this.p.docs.shutdown()
  }

  /** Reconnect now, e.g. on the browser's `online` event. */
  kick(): void {
    this.parts?.engine.kick()
  }

  /** Mailbox items (bundles, join requests, key mail) not yet handed to the server. */
  get queuedMail(): number {
    return this.parts?.mailOut.size ?? 0
  }

  get status(): Status {
    // Messages not yet delivered, and membership changes, invitations and keys not yet posted.
    return { connection: this.parts?.engine.state ?? 'offline', pending: this.pending.size + (this.parts?.mailOut.size ?? 0) }
  }

  conversations(): ConversationSummary[] {
    return this.registry.list().map((rec) => ({ conv: rec.conv, title: this.titleOf(rec.conv), members: this.members(rec.conv).size }))
  }

  titleOf(conv: ConvId): string {
    if (this.parts?.team.isSpace(conv)) return this.p.team.group(conv)?.name || this.registry.get(conv)?.title || 'Group'
    const root = this.p.layout.rootNow(conv)
    return (root && readTitle(root)) || this.registry.get(conv)?.title || 'Conversation'
  }

  members(conv: ConvId): Map<DeviceId, string> {
    if (this.parts?.team.isSpace(conv)) {
      const names = this.p.team.deviceNames(conv)
      return new Map(this.p.team.memberPeople(conv).map((d) => [d, names.get(d) ?? 'Unknown']))
    }
    const root = this.p.layout.rootNow(conv)
    return root ? readMembers(root, this.adminsOf(conv)) : new Map()
  }

  /** Admin devices of a conversation (its creator, as named in the invitation). */
  adminsOf(conv: ConvId): ReadonlySet<string> {
    return new Set(this.registry.get(conv)?.admins ?? [])
  }

  isAdmin(conv: ConvId): boolean {
    if (this.parts?.team.isSpace(conv)) return this.p.team.canAdmin(conv)
    return !!this.registry.get(conv)?.adminSecret
  }

  /** A new ad-hoc conversation with this device as its admin. */
  async createConversation(title: string): Promise<ConvId> {
    const identity = this.requireIdentity()
    return this.p.adhoc.create(identity, title)
  }

  /** [T11] Messages of this conversation wait for a key this device does not hold yet. */
  waitingForKey(conv: ConvId): boolean {
    return !!this.parts?.access.isKeyMissing(conv) || (this.parts?.engine.waitingForKey(conv) ?? false)
  }

  /** The server no longer lets this device read or write the conversation ([T10]). */
  accessLost(conv: ConvId): boolean {
    return !!this.parts?.access.isLost(conv)
  }

  /** "Retry" on a conversation waiting for its key: fetch again what could not be opened. */
  async retryKeys(conv: ConvId): Promise<void> {
    if (this.p.access.retry(conv)) await this.p.engine.rejoin(conv)
    return this.p.engine.retryKeys(conv)
  }

  /**
   * Rotates a conversation's key (admins only): a new random epoch and key, mailed to every
   * member device and registered on the server at once or on the next connection ([S10]).
   */
  async rotateKey(conv: ConvId): Promise<{ epoch: number; key: EpochKey }> {
    const next = await this.p.keyring.newEpoch(conv)
    await this.p.keyring.mailToNewcomers(conv) // every member keeps access
    await this.p.engine.rejoin(conv)
    this.p.engine.requestFlush() // pending changes are sealed under the new epoch from now on
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
    if (this.p.team.isSpace(conv)) {
      // A group: the person (all their devices) leaves it; an organisation: they leave it all.
      const user = this.p.team.userOfDevice(conv, device)
      if (!user) throw new ClientError(ClientErrorCode.NOT_MEMBER)
      if (device === identity.deviceId) throw new ClientError(ClientErrorCode.NOT_ADMIN, 'an admin cannot remove itself')
      return rec.space?.kind === 'org' ? this.p.team.removeFromOrg(conv, user) : this.p.team.removeFromGroup(conv, user)
    }
    return this.p.adhoc.remove(identity, conv, rec, device)
  }

  /** Adds an epoch key this device received; `current` makes it the epoch to write under. */
  addEpochKey(conv: ConvId, epoch: number, key: EpochKey, current: boolean): Promise<void> {
    return this.p.keyring.add(conv, epoch, key, current)
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
    return this.p.adhoc.join(identity, inv)
  }

  /** Loads the conversation's root and its newest segment (not its whole history). */
  async openConversation(conv: ConvId): Promise<void> {
    if (!this.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    await this.p.layout.refresh(conv)
    await this.p.segs.open(conv)
    this.events.emit('messages', { conv })
  }

  /** True when older segments exist that are not loaded yet. */
  hasEarlier(conv: ConvId): boolean {
    return this.p.segs.hasEarlier(conv)
  }

  async loadEarlier(conv: ConvId): Promise<void> {
    await this.p.segs.loadEarlier(conv)
    this.events.emit('messages', { conv })
  }

  /** Messages of the loaded segments in display order (timestamp, id). */
  messages(conv: ConvId): DisplayMessage[] {
    return this.p.log.list(conv)
  }

  /**
   * Writes a message locally and queues it. Resolves once the message is in local storage
   * (the outbox): from then on it survives reloads and crashes, and goes out by itself.
   */
  send(conv: ConvId, text: string, replyTo?: string): Promise<MessageView> {
    this.requireIdentity()
    return this.p.log.send(conv, text, replyTo)
  }

  private onDocChange(doc: DocId): void {
    const conv = this.convOfDoc.get(doc)
    if (!conv) return
    if (this.p.layout.isRoot(doc)) {
      void this.p.layout.refresh(conv).then(() => {
        this.events.emit('conversations', undefined)
        this.events.emit('messages', { conv })
      })
      return
    }
    // A segment that receives changes joins the loaded window: fresh activity (a late offline
    // writer, the next segment after a rollover) is shown without loading all history.
    void this.p.segs.scan(conv, doc).then((added) => {
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
