import type { EpochKey } from '../../crypto/index.js'
import type { AdHocConversations } from './conversations/adhoc.js'
import type { Keyring } from './conversations/keyring.js'
import type { SegmentWindow } from './documents/segmentWindow.js'
import type { MailOutbox } from './outbox/mailOutbox.js'
import type { ConvId, DeviceId, DocId } from '../../protocol/index.js'
import type { DocStore } from './documents/docs.js'
import type { SyncEngine } from './sync/engine.js'
import { ClientError, ClientErrorCode } from './errors.js'
import { Emitter } from './events.js'
import { HybridClock } from './documents/hlc.js'
import { createIdentity, loadIdentity, type Identity } from './identity.js'
import { inviteLink, type Invitation } from './conversations/invite.js'
import type { DisplayMessage, MessageLog } from './documents/messageLog.js'
import { readMembers, readTitle, type MessageView } from './documents/model.js'
import type { Outbox } from './outbox/outbox.js'
import { makeParts } from './parts.js'
import { recoverOutbox } from './outbox/recoverOutbox.js'
import { Registry } from './conversations/registry.js'
import type { MessengerEvents, MessengerOptions, Status, ConversationSummary } from './messengerTypes.js'
import { checkLocalFormat } from './storage/format.js'
import type { AccessState } from './conversations/access.js'
import { rootDocOf, type ConversationLayout } from './documents/layout.js'
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
  /** Organisations and groups ([T1]–[T13]); undefined until this device has an identity. */
  team!: Team
  private access!: AccessState
  private adhoc!: AdHocConversations
  private log!: MessageLog
  identity: Identity | undefined

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
    return [...this.registry.corrupt, ...(this.outbox?.corrupt ?? [])]
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
    this.docs = parts.docs
    this.outbox = parts.outbox
    this.segs = parts.segs
    this.mailOut = parts.mailOut
    this.engine = parts.engine
    this.keyring = parts.keyring
    this.layout = parts.layout
    this.adhoc = parts.adhoc
    this.log = parts.log
    this.team = parts.team
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
    this.access = parts.access
    this.engine.events.on('access', (a) => this.access.onServer(a.conv, a.lost))
    this.engine.events.on('rekeyConflict', ({ conv, epoch }) => void this.onRekeyConflict(conv, epoch))
    this.engine.events.on('proxyRekey', ({ conv, outcome, epoch }) => void this.team.core.run(() => this.team.core.proxies.settled(conv, outcome, epoch)))
    this.engine.events.on('joined', ({ conv, epoch }) => {
      if (this.team.isSpace(conv)) void this.team.core.run(() => this.team.core.server.onJoined(conv, epoch))
    })
    for (const rec of this.registry.list()) {
      this.convOfDoc.set(rootDocOf(rec.conv), rec.conv)
      await recoverOutbox(rec.conv, { registry: this.registry, outbox: this.outbox, docs: this.docs, convOfDoc: this.convOfDoc })
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
    if (this.team.isSpace(conv)) return this.team.core.run(() => this.team.core.server.onRekeyConflict(conv, epoch))
    return this.adhoc.onRekeyConflict(conv, epoch)
  }

  start(): void {
    this.requireIdentity()
    this.engine.start()
  }

  async stop(): Promise<void> {
    if (!this.identity) return
    await this.log.settled
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

  /** A new ad-hoc conversation with this device as its admin. */
  async createConversation(title: string): Promise<ConvId> {
    const identity = this.requireIdentity()
    return this.adhoc.create(identity, title)
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
    return this.adhoc.remove(identity, conv, rec, device)
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
    return this.adhoc.join(identity, inv)
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
    return this.log.list(conv)
  }

  /**
   * Writes a message locally and queues it. Resolves once the message is in local storage
   * (the outbox): from then on it survives reloads and crashes, and goes out by itself.
   */
  send(conv: ConvId, text: string, replyTo?: string): Promise<MessageView> {
    this.requireIdentity()
    return this.log.send(conv, text, replyTo)
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
