import type { BlobId, ConvId, DeviceId, DocId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from './errors.js'
import { Emitter } from './events.js'
import { HybridClock } from './documents/hlc.js'
import { createIdentity, loadIdentity, type Identity } from './identity.js'
import type { DisplayMessage } from './documents/messageLog.js'
import type { MessageView } from './documents/model.js'
import { makeParts, type Parts } from './parts.js'
import { recoverOutbox } from './outbox/recoverOutbox.js'
import { Registry } from './conversations/registry.js'
import type { MessengerEvents, MessengerOptions, Status, ConversationSummary } from './messengerTypes.js'
import { checkLocalFormat } from './storage/format.js'
import { rootDocOf } from './documents/layout.js'
import type { Team } from './team/team.js'
import { RemoteWipes } from './wipe/remoteWipe.js'
import { Recovery } from './recovery/recovery.js'
import { restoreFromRecovery } from './recovery/restore.js'
import type { Fetch } from './recovery/server.js'
import { planWipe } from './wipe/plan.js'
import type { Attachment, UploadView } from './files/uploads.js'
import type { FileRef } from './files/ref.js'
import type { FileSink, FileSource } from './files/source.js'
import type { FileVerdict } from './files/check/index.js'
import type { DownloadOptions } from './files/downloads.js'
import type { WipeReason, WipedOrg } from './wipe/tombstone.js'
import { verdictOnly, type ScanVerdict } from './scanner/verdict.js'
import { scannerVerdicts, verdictsBy, type FileScan } from './scanner/fileVerdicts.js'

export type { ConversationSummary, MessengerEvents, MessengerOptions, Status } from './messengerTypes.js'
export type { WipeReason, WipedOrg }
export type { Attachment, UploadView, FileRef, FileSink, FileSource, DownloadOptions, FileVerdict }
export type { FileScan, ScanVerdict }

/** The root document of a conversation shares the conversation's id. */
export { rootDocOf }
export type { DisplayMessage }

/**
 * The engine's public face: everything a person does is a local change first, then queued in
 * the outbox; the network is never awaited. UI code (client/web, client/cli) calls only this.
 */
export class Messenger {
  readonly events = new Emitter<MessengerEvents>()
  /** Made again, with the parts, after a wipe ([M30]). */
  private registry: Registry
  private readonly clock: HybridClock
  private readonly pending = new Set<string>()
  private readonly convOfDoc = new Map<DocId, ConvId>()
  /**
   * Everything made from this device's identity, built whole by `makeParts` and set once (in
   * `open`, or in `createIdentity` for a new device); undefined only before there is an identity.
   */
  private parts: Parts | undefined
  identity: Identity | undefined
  /** [M30] Organisations this device wiped, and wipes under way. */
  private readonly wipes: RemoteWipes
  /** Spaces (organisations and their groups) wiped while this Messenger was open. */
  private readonly wipedSpaces = new Set<ConvId>()
  /** A wipe under way: the parts are stopped, the data deleted, the parts made again. */
  private wiping: Promise<void> | undefined
  private wipeAgain = false
  /** The last `boot` (a wipe waits for it: the parts it replaces must be whole). */
  private booting: Promise<void> = Promise.resolve()
  /** `start` was called and `stop` was not: the engine runs again after a wipe. */
  private running = false

  /** [M32] Recovery set up from this device; there is one once this device has an identity. */
  get recovery(): Recovery {
    if (!this.recoveryPart) throw new Error('this device has no identity yet: createIdentity first')
    return this.recoveryPart
  }

  private recoveryPart: Recovery | undefined

  /**
   * [M32] A device with no profile yet becomes the person's recovery device, from the recovery
   * key: see `restoreFromRecovery`. The engine is opened after, not started.
   */
  static async restore(options: MessengerOptions, recoveryKey: string, fetch?: Fetch): Promise<{ messenger: Messenger; name: string; orgs: ConvId[] }> {
    const restored = await restoreFromRecovery(options.store, options.url, recoveryKey, fetch)
    return { messenger: await Messenger.open(options), ...restored }
  }

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
    this.wipes = new RemoteWipes(options.store)
    // [M32] After a membership change, the recovery device is added where missing and the blob rewritten.
    this.events.on('conversations', () => this.recoveryPart?.soon())
    // A device removed as lost (or by an admin) no longer keeps its person's recovery up to date:
    // the blob it would write next could leave out what it was removed from.
    this.events.on('wiped', (w) => {
      if (w.reason === 'device-removed') void this.recoveryPart?.forget()
    })
  }

  /** Opens local state; the device may have no identity yet (see `createIdentity`). */
  static async open(options: MessengerOptions): Promise<Messenger> {
    await checkLocalFormat(options.store)
    const m = new Messenger(options)
    m.identity = await loadIdentity(options.store)
    // [M30] invariant 1 of RemoteWipes: a wipe cut short is finished before anything is read.
    await m.wipes.load()
    for (const { spaces } of await m.wipes.finishPending()) for (const conv of spaces) m.wipedSpaces.add(conv)
    await m.registry.load()
    if (m.identity) await m.boot(m.identity)
    // A removal learned while loading (an offline device's graph already said so) is wiped now.
    await m.wiping
    return m
  }

  /**
   * [M32] This device, with no profile yet, becomes the person's recovery device from the
   * recovery key (`restoreFromRecovery`): like `createIdentity`, but with the person's keys,
   * organisations and conversations; their history then syncs from the server.
   */
  async recoverIdentity(recoveryKey: string, fetch?: Fetch): Promise<{ identity: Identity; name: string; orgs: ConvId[] }> {
    if (this.identity) throw new ClientError(ClientErrorCode.IDENTITY_EXISTS)
    const restored = await restoreFromRecovery(this.options.store, this.options.url, recoveryKey, fetch)
    this.identity = await loadIdentity(this.options.store)
    await this.boot(this.identity!)
    this.events.emit('conversations', undefined)
    return { identity: this.identity!, ...restored }
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

  private boot(identity: Identity): Promise<void> {
    this.booting = this.makeAndLoad(identity)
    return this.booting
  }

  private async makeAndLoad(identity: Identity): Promise<void> {
    const parts = makeParts(identity, {
      options: this.options,
      registry: this.registry,
      clock: this.clock,
      events: this.events,
      convOfDoc: this.convOfDoc,
      pending: this.pending,
      emitStatus: () => this.emitStatus(),
      waitingForKey: (conv) => this.waitingForKey(conv),
      orgRemoved: (org, reason) => this.orgRemoved(org, reason),
      recentlyWiped: () => this.wipes.recent(),
    })
    this.parts = parts
    await this.p.outbox.load()
    await this.p.mailOut.load()
    await this.p.files.uploads.load()
    for (const id of this.p.outbox.pendingMessageIds()) this.pending.add(id)
    this.p.docs.events.on('change', ({ doc }) => this.onDocChange(doc))
    this.p.engine.events.on('state', (state) => {
      this.emitStatus()
      if (state === 'online') this.parts?.files.uploads.kick()
    })
    this.p.engine.events.on('delivered', ({ msgIds }) => {
      for (const id of msgIds) this.pending.delete(id)
      this.emitStatus()
      for (const rec of this.registry.list()) this.events.emit('messages', { conv: rec.conv })
    })
    this.p.engine.events.on('problem', (p) => this.events.emit('problem', p))
    this.p.engine.events.on('waiting', (w) => this.events.emit('waiting', w))
    this.p.engine.events.on('access', (a) => this.p.access.onServer(a.conv, a.lost))
    this.p.engine.events.on('rekeyConflict', ({ conv, epoch }) => void this.p.team.onRekeyConflict(conv, epoch))
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
    this.recoveryPart?.stop()
    this.recoveryPart = new Recovery({ store: this.options.store, identity, team: this.p.team, syncUrl: this.options.url, wipes: () => this.wipes.list() })
    await this.recoveryPart.load()
  }

  start(): void {
    this.requireIdentity()
    this.running = true
    if (!this.wiping) {
      this.p.engine.start()
      this.p.files.uploads.kick()
    }
  }

  async stop(): Promise<void> {
    if (!this.identity) return
    this.running = false
    this.recoveryPart?.stop()
    await this.wiping
    await this.p.files.uploads.stop()
    await this.p.log.settled
    await this.p.engine.stop()
    await this.p.docs.shutdown()
  }

  /** Reconnect now, e.g. on the browser's `online` event. */
  kick(): void {
    this.parts?.engine.kick()
  }

  /** Mailbox items (bundles, join requests) not yet handed to the server. */
  get queuedMail(): number {
    return this.parts?.mailOut.size ?? 0
  }

  get status(): Status {
    // Messages not yet delivered, and membership changes, invitations and keys not yet posted.
    // [A2] Files waiting to go out count too (not those refused for good: they wait for the person).
    const uploads = this.parts?.files.uploads.waiting ?? 0
    return { connection: this.parts?.engine.state ?? 'offline', pending: this.pending.size + (this.parts?.mailOut.size ?? 0) + uploads }
  }

  conversations(): ConversationSummary[] {
    return this.registry.list().map((rec) => ({ conv: rec.conv, title: this.titleOf(rec.conv), members: this.members(rec.conv).size }))
  }

  titleOf(conv: ConvId): string {
    return (this.parts && this.p.team.nameOf(conv)) || this.registry.get(conv)?.title || 'Conversation'
  }

  /** Member people of a conversation, one device each (the first), with their names. */
  members(conv: ConvId): Map<DeviceId, string> {
    if (!this.parts) return new Map()
    const names = this.p.team.deviceNames(conv)
    return new Map(this.p.team.memberPeople(conv).map((d) => [d, names.get(d) ?? 'Unknown']))
  }

  /** Admin devices of a conversation, as its signed membership states them ([T3]). */
  adminsOf(conv: ConvId): ReadonlySet<DeviceId> {
    return new Set(this.parts?.team.adminDevices(conv) ?? [])
  }

  isAdmin(conv: ConvId): boolean {
    return !!this.parts?.team.canAdmin(conv)
  }

  /**
   * A new conversation with this device's person as its admin. Every conversation is a space
   * with a signed membership ([T1]): one started here is a one-space organisation whose
   * directory is its member list; people are admitted by invitation ([T12]).
   */
  async createConversation(title: string): Promise<ConvId> {
    this.requireIdentity()
    return this.p.team.createOrg(title || 'Conversation', { conversation: true })
  }

  /**
   * [T12] A one-time invitation link to a conversation (admins), valid for `ttlMs` (default
   * seven days). The invitee's answer is admitted by an admin device when it next connects.
   */
  async invite(conv: ConvId, origin: string, ttlMs?: number): Promise<{ link: string; invite: string; expires: number }> {
    this.requireIdentity()
    if (!this.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    return this.p.team.invite(conv, origin, ttlMs)
  }

  /**
   * Answers an invitation link (a conversation or an organisation). Works offline: the answer
   * waits in the mail outbox; the conversation appears once an admin device admits this one.
   */
  join(link: string): Promise<{ org: ConvId; name: string }> {
    this.requireIdentity()
    return this.p.team.acceptInvite(link)
  }

  /** [T11] Messages of this conversation wait for a key this device does not hold yet. */
  waitingForKey(conv: ConvId): boolean {
    return !!this.parts?.access.isKeyMissing(conv) || (this.parts?.engine.waitingForKey(conv) ?? false)
  }

  /** The server no longer lets this device read or write the conversation ([T10]), or it was wiped ([M30]). */
  accessLost(conv: ConvId): boolean {
    return !!this.parts?.access.isLost(conv) || this.wipes.has(conv) || this.wipedSpaces.has(conv)
  }

  /** [M30] Organisations (and conversations) this device was removed from and deleted its data for. */
  wiped(): WipedOrg[] {
    return this.wipes.list()
  }

  /** [M30] Settles once no wipe is under way (a removal just learned is then deleted and listed as done). */
  async wipesSettled(): Promise<void> {
    while (this.wiping) await this.wiping
  }

  /** [M30] The person read the notice of a wipe: the app stops showing it (the record stays). */
  async dismissWiped(org: ConvId): Promise<void> {
    await this.wipes.dismiss(org)
    this.events.emit('conversations', undefined)
  }

  /**
   * [M30] The organisation's resolved graph says this device is out: the tombstone, pending and
   * naming everything to delete, is written now (inside the team work that learned it), and the
   * deletion runs once that work and the frame that brought it are done.
   */
  private async orgRemoved(org: ConvId, reason: WipeReason): Promise<void> {
    if (this.wipes.isPending(org)) return
    const p = this.p
    const { name, conversation, plan } = await planWipe(org, { team: p.team, docs: p.docs, segs: p.segs, convOfDoc: this.convOfDoc })
    await this.wipes.begin({ org, name, conversation, reason, time: Date.now() }, plan)
    this.scheduleWipe()
  }

  private scheduleWipe(): void {
    if (this.wiping) return void (this.wipeAgain = true)
    this.wiping = this.wipe()
      .catch((err: unknown) => this.events.emit('problem', { code: ClientErrorCode.RECORD_CORRUPT, detail: `wipe: ${String(err)}` }))
      .finally(() => {
        this.wiping = undefined
        if (this.running) this.parts?.engine.start()
      })
  }

  /**
   * [M30] Stops the parts (after the work under way: the frame that told, the team's work, sends,
   * pushes), so nothing they hold is written back; deletes what the pending tombstones name;
   * makes the parts again from what is left, and starts them if they ran.
   */
  private async wipe(): Promise<void> {
    do {
      this.wipeAgain = false
      await this.booting.catch(() => undefined)
      const old = this.p
      await old.engine.idle()
      await old.team.settled()
      await old.log.settled
      await old.engine.stop()
      // Queued uploads write their records as they go: stopped before the erase, made again after.
      await old.files.uploads.stop()
      await old.engine.idle()
      await old.docs.shutdown()
      const done = await this.wipes.finishPending()
      for (const { spaces } of done) for (const conv of spaces) this.wipedSpaces.add(conv)
      this.registry = new Registry(this.options.store)
      await this.registry.load()
      this.pending.clear()
      this.convOfDoc.clear()
      await this.boot(this.requireIdentity())
      this.events.emit('conversations', undefined)
      for (const { wiped, spaces } of done) {
        this.events.emit('wiped', { ...wiped, spaces })
        for (const conv of spaces) this.events.emit('messages', { conv })
      }
      this.emitStatus()
    } while (this.wipeAgain)
  }

  /** "Retry" on a conversation waiting for its key: fetch again what could not be opened. */
  async retryKeys(conv: ConvId): Promise<void> {
    if (this.p.access.retry(conv)) await this.p.engine.rejoin(conv)
    return this.p.engine.retryKeys(conv)
  }

  /**
   * Removes a person from a conversation (admins only): from a group, the person leaves it; from
   * an organisation or a conversation started outside one, they leave it all. The keys rotate
   * without them ([T8]) and the removal notice reaches them only once the server refuses them
   * ([T19]). Works offline: it takes effect when this device reconnects.
   */
  async removeMember(conv: ConvId, device: DeviceId): Promise<void> {
    const identity = this.requireIdentity()
    const rec = this.registry.get(conv)
    if (!rec) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    const user = this.p.team.userOfDevice(conv, device)
    if (!user) throw new ClientError(ClientErrorCode.NOT_MEMBER)
    if (device === identity.deviceId) throw new ClientError(ClientErrorCode.NOT_ADMIN, 'an admin cannot remove itself')
    return rec.space?.kind === 'group' ? this.p.team.removeFromGroup(conv, user) : this.p.team.removeFromOrg(conv, user)
  }

  /** Every epoch key this device holds for a conversation (key-chain checks and tests). */
  epochKeys(conv: ConvId): { epoch: number; key: Uint8Array }[] {
    const rec = this.registry.get(conv)
    return rec ? [...rec.keys].map(([epoch, key]) => ({ epoch, key })) : []
  }

  /** Loads the conversation's root and its newest segment (not its whole history). */
  async openConversation(conv: ConvId): Promise<void> {
    if (!this.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    await this.p.epochs.load(conv)
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

  /**
   * Messages of the loaded segments in display order (timestamp, id); `withHidden` adds those
   * [M26] hides, marked `hidden` (an export keeps them, flagged, [M31]).
   */
  messages(conv: ConvId, opts?: { withHidden?: boolean }): DisplayMessage[] {
    return this.p.log.list(conv, opts)
  }

  /**
   * Writes a message locally and queues it. Resolves once the message is in local storage
   * (the outbox): from then on it survives reloads and crashes, and goes out by itself.
   */
  send(conv: ConvId, text: string, replyTo?: string): Promise<MessageView> {
    this.requireIdentity()
    // During a wipe the parts are being replaced: write into the new ones.
    const write = () => this.p.log.send(conv, text, replyTo)
    return this.wiping ? this.wiping.then(write) : write()
  }

  /**
   * [A2] Attaches files (with an optional caption) as one message: each is sealed on this device
   * into the file outbox and the call resolves once they are queued, online or not. The message
   * appears in the conversation, at the time it was sent, when every file is on the server.
   */
  sendFiles(conv: ConvId, files: readonly Attachment[], caption = '', replyTo?: string): Promise<string> {
    this.requireIdentity()
    if (!this.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    return this.p.files.send(conv, files, caption, replyTo)
  }

  /** [A2] Files waiting to go out, with their progress (`uploads` events tell when it changes). */
  uploads(conv?: ConvId): UploadView[] {
    return this.parts?.files.list(conv) ?? []
  }

  cancelUpload(id: string): Promise<void> {
    return this.p.files.uploads.cancel(id)
  }

  retryUpload(id: string): void {
    this.p.files.uploads.retry(id)
  }

  /** Settles once every upload that can go now has gone (tests, the CLI). */
  uploadsIdle(): Promise<void> {
    return this.parts?.files.uploads.idle() ?? Promise.resolve()
  }

  /** [A3] Fetches, opens and checks a file's content into `sink` (resuming over cut links). */
  downloadFile(conv: ConvId, ref: FileRef, sink: FileSink, opts?: DownloadOptions): Promise<void> {
    return this.p.files.download(conv, ref, sink, opts)
  }

  /**
   * [H5] The checks a downloaded file passes before it is opened or saved (`content`: the
   * downloaded bytes as a source): `block` — do not open; `warn` — only after a second step.
   */
  checkReceivedFile(conv: ConvId, ref: FileRef, content: FileSource): Promise<FileVerdict> {
    return this.p.files.check(conv, ref, content)
  }

  /** [A3] Content bytes [start, end) of a file, for playback while it downloads. */
  readFileRange(conv: ConvId, ref: FileRef, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.p.files.readRange(conv, ref, start, end, signal)
  }

  /**
   * [A4] The organisation scanner's verdicts on the files of the loaded messages, per blob id:
   * only those written by a live device of the person the organisation's policy names as
   * scanner now, about content with the file's own SHA-256. Empty while the policy names none.
   */
  fileVerdicts(conv: ConvId): Map<BlobId, FileScan> {
    const team = this.p.team
    const org = team.orgOf(conv)
    const user = org && team.policy(org).scanner
    if (!org || !user) return new Map()
    const devices = team.devicesOf(org, user).map((d) => d.device)
    const live = new Set(devices)
    const name = (devices[0] && team.deviceNames(conv).get(devices[0])) || 'Scanner'
    return scannerVerdicts(this.p.segs.views(conv), (d) => live.has(d), name)
  }

  /** [A4] A scanner device's verdicts, written as one message of its own (no text; not listed among the messages). */
  postVerdicts(conv: ConvId, verdicts: readonly ScanVerdict[]): Promise<MessageView> {
    this.requireIdentity()
    return this.p.log.write(conv, { text: '', verdicts })
  }

  /** [A4] The verdicts this device wrote in the loaded messages (a scanner skips what it has done). */
  postedVerdicts(conv: ConvId): ScanVerdict[] {
    return verdictsBy(this.p.segs.views(conv), this.requireIdentity().deviceId)
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
    void this.p.segs.scan(conv, doc).then((found) => {
      const added = found.filter((m) => !verdictOnly(m))
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
