import type { IceServer } from './sync/turnRequests.js'
import type { BlobId, ConvId, DeviceId, DocId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from './errors.js'
import { Emitter } from './events.js'
import { HybridClock } from './documents/hlc.js'
import { createIdentity, loadIdentity, type Identity } from './identity.js'
import type { DisplayMessage, SendOptions } from './documents/messageLog.js'
import { NewestViews, readSavedView } from './documents/newestView.js'
import { pinnedOf } from './documents/fold.js'
import type { MessageView } from './documents/model.js'
import type { MessageRef } from './documents/messageRef.js'
import type { DocChange } from './documents/docs.js'
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
import { makeSearch } from './search/wire.js'
import { PushWakes, type BrowserSubscription } from './push/pushWakes.js'
import type { SearchIndex } from './search/searchIndex.js'
import type { SearchHit, SearchOptions, SearchStatus } from './search/hit.js'
import { messageContext } from './search/context.js'
import { makePresence } from './presence/wire.js'
import { makeCalls } from './calls/wire.js'
import { makeStats } from './stats/makeStats.js'
import type { Stats } from './stats/stats.js'
import { RING_MS, type Calls } from './calls/calls.js'
import type { SignalChannel } from './presence/channel.js'
import type { CallHistoryLine } from './documents/callLog.js'
import type { Presence } from './presence/presence.js'
import { conversationPreview, type ConversationPreview, type PreviewMessage } from './conversations/preview.js'
import { Expiry, expiryOf, isExpired } from './documents/expiry.js'
import { orgMaxOf, type TimerState } from './documents/timerWrites.js'
import { timerLine } from './documents/timer.js'
import type { Pruner } from './prune/pruner.js'
import { dropDeps, makePruner } from './prune/wire.js'
import { dropSegment } from './prune/dropSegment.js'
import { onServerDrop } from './prune/serverDrop.js'

export type { ConversationSummary, MessengerEvents, MessengerOptions, Status } from './messengerTypes.js'
export type { WipeReason, WipedOrg }
export type { Attachment, UploadView, FileRef, FileSink, FileSource, DownloadOptions, FileVerdict }
export type { FileScan, ScanVerdict }
export type { SearchHit, SearchOptions, SearchStatus }
export type { BrowserSubscription }
export type { ConversationPreview, PreviewMessage }

/** The root document of a conversation shares the conversation's id. */
export { rootDocOf }
export type { DisplayMessage, SendOptions, MessageRef }
export { parseMessageRef } from './documents/messageRef.js'
export type { Reaction, ReplyQuote } from './documents/fold.js'

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
  /** [M50] This device's search index; made again with the parts. */
  private searchPart: SearchIndex | undefined
  /** [M62]–[M64] Web Push registration and wakes; made again with the parts. */
  private pushPart: PushWakes | undefined
  /** [M55]–[M59] Receipts, typing and unread counts; made again with the parts. */
  private presencePart: { presence: Presence; channel: SignalChannel; detach: () => void } | undefined
  private callsPart: { calls: Calls; detach: () => void } | undefined
  /** [Q1]–[Q8] Usage statistics; made again with the parts. */
  private statsPart: { stats: Stats; detach: () => void } | undefined
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
  /** Stopped: its documents and stores are closed for good ([M5]). */
  private closed = false

  /** [M32] Recovery set up from this device; there is one once this device has an identity. */
  get recovery(): Recovery {
    if (!this.recoveryPart) throw new Error('this device has no identity yet: createIdentity first')
    return this.recoveryPart
  }

  private recoveryPart: Recovery | undefined
  /** [M67] Makes messages disappear when their time comes; made again with the parts. */
  private expiry: Expiry | undefined
  /** [M71] Drops segments that hold only expired entries; made again with the parts. */
  private pruner: Pruner | undefined
  /** [M13a] The saved newest messages of conversations being opened, shown until their window is loaded. */
  private readonly previews = new Map<ConvId, DisplayMessage[]>()
  private readonly opening = new Map<ConvId, Promise<void>>()
  private views: NewestViews | undefined

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
    // [M53] New, edited and deleted messages reach the index at once.
    this.events.on('added', ({ conv, messages }) => this.searchPart?.added(conv, messages))
    this.events.on('updated', ({ conv, messages }) => this.searchPart?.updated(conv, messages))
    // [M13a] A changed window is saved as the conversation's newest view a moment later.
    this.events.on('messages', ({ conv }) => this.views?.touched(conv))
    this.events.on('wiped', (w) => {
      if (w.reason === 'device-removed') void this.recoveryPart?.forget()
    })
  }

  /** Opens local state; the device may have no identity yet (see `createIdentity`). */
  static open(options: MessengerOptions): Promise<Messenger> {
    return Messenger.opening(options).messenger
  }

  /**
   * [M13b] Opens local state in two steps. `preview(conv)`: the saved newest messages of a
   * conversation ([M13a]), read-only, as soon as local state may be read (its format checked, a
   * wipe cut short finished, the conversations listed), while the rest loads: what an app shows
   * at launch before the engine is ready. `messenger`: the engine, once everything is loaded
   * (what `open` returns).
   */
  static opening(options: MessengerOptions): { preview(conv: ConvId): Promise<DisplayMessage[] | undefined>; messenger: Promise<Messenger> } {
    const readable = Messenger.readable(options)
    const messenger = readable.then(async (m) => {
      // A preview asked for with this opening starts its read before the loading's many (its
      // reaction to `readable` runs while this one waits here; no timer: fake clocks stay still).
      await Promise.resolve()
      if (m.identity) await m.boot(m.identity)
      // A removal learned while loading (an offline device's graph already said so) is wiped now.
      await m.wiping
      return m
    })
    return { preview: (conv) => readable.then((m) => m.savedView(conv)), messenger }
  }

  /** Local state up to where it may be read: the format checked, a wipe cut short finished, the conversations listed. */
  private static async readable(options: MessengerOptions): Promise<Messenger> {
    await checkLocalFormat(options.store)
    const m = new Messenger(options)
    m.identity = await loadIdentity(options.store)
    // [M30] invariant 1 of RemoteWipes: a wipe cut short is finished before anything is read.
    await m.wipes.load()
    for (const { spaces } of await m.wipes.finishPending()) for (const conv of spaces) m.wipedSpaces.add(conv)
    await m.registry.load()
    return m
  }

  /** [M13b] A conversation's saved newest messages, what expired since left out; undefined when it has none or is not here. */
  private async savedView(conv: ConvId): Promise<DisplayMessage[] | undefined> {
    if (!this.identity || !this.registry.get(conv) || this.wipedSpaces.has(conv) || this.wiping) return undefined
    const saved = await readSavedView(this.options.store, conv)
    const now = this.clock.wallNow()
    return saved?.messages.filter((m) => !isExpired(m.exp, now))
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
      messageWritten: (conv, tag) => this.pushPart?.sent(conv, tag),
    })
    this.parts = parts
    this.searchPart = makeSearch(parts, { store: this.options.store, registry: this.registry, identity, titleOf: (conv) => this.titleOf(conv), ...(this.options.search?.saveDelayMs !== undefined ? { saveDelayMs: this.options.search.saveDelayMs } : {}) })
    this.dropPresence()
    this.presencePart = makePresence(parts, { store: this.options.store, registry: this.registry, identity, events: this.events, ...(this.options.receiptDelayMs !== undefined ? { debounceMs: this.options.receiptDelayMs } : {}) })
    this.callsPart = makeCalls(parts, this.presencePart.channel, identity.deviceId, this.events, (conv, tag) => this.pushPart?.sent(conv, tag))
    // Independent records, read together (in the browser each read is an IndexedDB transaction and
    // a decryption: one after the other they were a third of opening the engine).
    await Promise.all([this.presencePart.presence.load(), parts.outbox.load(), parts.dropped.load(), parts.mailOut.load()])
    // [M71] Before any document is read: dropped segments stay dropped, and a drop a crash cut short is finished.
    const drops = dropDeps(parts, { store: this.options.store, registry: this.registry, search: () => this.searchPart })
    for (const t of parts.dropped.unfinished()) await dropSegment(drops, t.conv, t.doc)
    await this.p.files.uploads.load()
    for (const id of this.p.outbox.pendingMessageIds()) this.pending.add(id)
    this.p.docs.events.on('change', (change) => this.onDocChange(change))
    this.p.engine.events.on('state', (state) => {
      this.emitStatus()
      if (state === 'online') this.parts?.files.uploads.kick()
    })
    this.p.engine.events.on('delivered', ({ msgIds, convs }) => {
      for (const id of msgIds) this.pending.delete(id)
      this.emitStatus()
      // Only the conversations whose messages stopped being pending (an ack comes for every push).
      for (const conv of convs) this.events.emit('messages', { conv })
    })
    this.p.engine.events.on('problem', (p) => this.events.emit('problem', p))
    // [M71] The server dropped a segment (1206): nothing alarming, its messages expired.
    this.p.engine.events.on('dropped', ({ conv, doc, msgIds }) => {
      const deps = { drop: drops, docs: parts.docs, log: parts.log, clock: this.clock, me: identity.deviceId, orgMax: (c: ConvId) => orgMaxOf(parts.team, c) }
      void onServerDrop(deps, conv, doc, msgIds).then((gone) => this.segmentDropped(conv, gone), () => this.segmentDropped(conv, msgIds))
    })
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
    this.statsPart?.detach()
    this.statsPart = makeStats(parts, { store: this.options.store, identity, clock: this.clock, calls: this.callsPart.calls, events: this.events, ...(this.options.app ? { app: this.options.app } : {}), ...(this.options.statsTiming ? { timing: this.options.statsTiming } : {}) })
    // [M62]–[M64] Registered again at every welcome; wakes the others once a message is acknowledged.
    this.pushPart?.stop()
    const push = (this.pushPart = new PushWakes({ store: this.options.store, send: (m) => parts.engine.sendPush(m), publish: (t) => parts.team.setPushToken(t), tokensOf: (c) => parts.team.pushTokens(c) }))
    parts.engine.events.on('state', (state) => push.onState(state))
    parts.engine.events.on('delivered', ({ msgIds }) => push.delivered(msgIds))
    this.recoveryPart?.stop()
    this.recoveryPart = new Recovery({ store: this.options.store, identity, team: this.p.team, syncUrl: this.options.url, wipes: () => this.wipes.list() })
    await Promise.all([push.load(), this.recoveryPart.load()])
    this.searchPart?.startSoon(this.options.search?.startDelayMs ?? 1000)
    // [M71] Segments holding only expired entries are dropped after each sweep.
    void this.pruner?.stop()
    this.pruner = makePruner(parts, { store: this.options.store, registry: this.registry, clock: this.clock, search: () => this.searchPart, dropped: (conv, _seg, msgIds) => this.segmentDropped(conv, msgIds) })
    const pruner = this.pruner
    void this.views?.stop()
    this.views = new NewestViews({
      store: this.options.store,
      // A wiped conversation ([M30]) has left the registry: nothing of it is written again.
      list: (conv) => (!this.registry.get(conv) || this.wipedSpaces.has(conv) || this.previews.has(conv) || !parts.segs.isShowing(conv) ? undefined : parts.log.list(conv)),
    })
    // Once online every subscription has caught up: older segments can be judged.
    parts.engine.events.on('state', (state) => {
      if (state === 'online') void this.expiry?.sweep()
    })
    // [M67][M68] Expired messages leave the views and this device's documents.
    this.expiry?.stop()
    this.expiry = new Expiry({
      conversations: () => this.registry.list().map((r) => r.conv),
      views: (conv) => parts.segs.views(conv),
      actions: (conv) => parts.segs.actions(conv),
      orgMax: (conv) => orgMaxOf(parts.team, conv),
      now: () => this.clock.wallNow(),
      me: identity.deviceId,
      removeOwn: (conv, bySegment) => parts.log.timers.removeOwn(conv, bySegment),
      expired: (conv, gone) => {
        this.events.emit('updated', { conv, messages: gone })
        this.events.emit('messages', { conv })
      },
      prune: () => pruner.pass(),
    })
    void this.expiry.sweep()
    void this.seedUnread(this.views, this.presencePart.presence)
  }

  /**
   * [M56] Unread counts of the conversations not loaded yet, from their saved views: in the
   * background, after a moment (the conversation being opened reads its own view first), one
   * record at a time with a pause between them.
   */
  private async seedUnread(views: NewestViews, presence: Presence): Promise<void> {
    // Never what keeps a CLI process alive.
    const pause = (ms: number) => new Promise<void>((resolve) => (setTimeout(resolve, ms) as { unref?: () => void }).unref?.())
    await pause(200)
    for (const { conv } of this.registry.list()) {
      await pause(0)
      if (this.presencePart?.presence !== presence) return
      const rows = await views.read(conv).catch(() => undefined)
      const now = this.clock.wallNow()
      if (rows?.length) presence.seedUnread(conv, rows.filter((m) => !isExpired(m.exp, now)))
    }
  }

  /**
   * Connects and sends what waits. A Messenger that was stopped has closed its documents and
   * stores: it does not start again (open a new one on the same store, as a reload does).
   */
  start(): void {
    this.requireIdentity()
    if (this.closed) throw new Error('this Messenger was stopped: open a new one on the same store to start again')
    this.running = true
    if (!this.wiping) {
      this.p.engine.start()
      this.p.files.uploads.kick()
    }
  }

  async stop(): Promise<void> {
    if (!this.identity) return
    this.closed = true
    this.running = false
    this.recoveryPart?.stop()
    await this.wiping
    await this.p.files.uploads.stop()
    await this.p.log.settled
    await this.p.engine.stop()
    this.pushPart?.stop()
    this.statsPart?.detach()
    this.dropPresence()
    this.expiry?.stop()
    await this.pruner?.stop() // [M71] a drop under way ends before what it erases through stops
    await this.searchPart?.stop()
    await this.views?.stop()
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
      await old.files.uploads.stop({ keepCopies: false })
      await old.engine.idle()
      // [M30] Invariant 3 of SearchIndex: nothing of the index is written after the erase.
      await this.searchPart?.stop()
      this.dropPresence() // [M30] nothing of its cursors is written after the erase
      this.expiry?.stop()
      await this.pruner?.stop() // [M71] no segment is dropped while the wipe erases
      await this.views?.stop() // [M13a] saved before the erase (which takes them), none after
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
  openConversation(conv: ConvId): Promise<void> {
    if (!this.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    const opening = this.open(conv).finally(() => {
      if (this.opening.get(conv) === opening) this.opening.delete(conv)
    })
    this.opening.set(conv, opening)
    return opening
  }

  private async open(conv: ConvId): Promise<void> {
    // [M13a] Not shown yet: its saved newest messages paint first, while its documents load.
    const preview = !this.p.segs.isShowing(conv) ? await this.views?.read(conv) : undefined
    if (preview?.length && !this.p.segs.isShowing(conv)) {
      this.previews.set(conv, preview)
      this.events.emit('messages', { conv })
    }
    try {
      await this.p.epochs.load(conv)
      await this.p.layout.refresh(conv)
      await this.p.segs.open(conv)
    } finally {
      this.previews.delete(conv)
    }
    this.events.emit('messages', { conv })
    void this.expiry?.sweep()
  }

  /**
   * [M13a] Settles once `conv` is not opening: a row painted from the saved view is acted on
   * (reacted to, edited, forwarded) when the window holds its message, not refused before.
   */
  private loaded(conv: ConvId): Promise<void> {
    return this.opening.get(conv)?.then(() => undefined, () => undefined) ?? Promise.resolve()
  }

  /** [M13a] Whether `messages(conv)` shows the saved newest messages while the conversation opens. */
  previewing(conv: ConvId): boolean {
    return this.previews.has(conv)
  }

  /** True when older segments exist that are not loaded yet. */
  /**
   * [M50]–[M52] Messages of every conversation on this device (or `conv`) with every word of
   * `query`, the last one also as a prefix while it is typed; offline, from this device's index.
   */
  search(query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    this.requireIdentity()
    if (opts.conv && !this.registry.get(opts.conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    if (!this.searchPart) throw new Error('this device has no identity yet: createIdentity first')
    return this.searchPart.search(query, opts)
  }

  /** [M53] Settles once every segment known now is indexed (the CLI and tests wait for it). */
  searchIndexed(): Promise<void> {
    return this.searchPart?.indexed() ?? Promise.resolve()
  }

  searchStatus(): SearchStatus {
    return this.searchPart?.status() ?? { indexing: false, segments: 0, queued: 0, read: 0 }
  }

  /**
   * [M52] A message (a search hit: give its `segment` too) with the messages around it; its
   * segment joins the loaded window.
   */
  async messageContext(conv: ConvId, id: string, before = 5, after = 5, segment?: DocId): Promise<DisplayMessage[]> {
    if (!this.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    const search = this.searchPart
    const around = await messageContext({
      segmentsOf: (c) => this.p.segs.segmentsOf(c),
      load: (c, seg) => this.p.segs.load(c, seg),
      list: (c) => this.p.log.list(c),
      segmentOf: (c, m) => search?.segmentOf(c, m),
    }, conv, id, before, after, segment)
    this.events.emit('messages', { conv })
    return around
  }

  /** The conversation list's row: the newest message and the last activity (loads the newest segment; emits nothing). */
  preview(conv: ConvId): Promise<ConversationPreview | undefined> { return conversationPreview(this.p, this.registry, conv) }

  private dropPresence(): void {
    this.callsPart?.detach()
    this.callsPart = undefined
    this.presencePart?.presence.stop()
    this.presencePart?.detach()
    this.presencePart = undefined
  }

  /** [Q1]–[Q8] The organisations' usage statistics: this device's tally and reports, and the collector's release. */
  get stats(): Stats {
    if (!this.statsPart) throw new Error('this device has no identity yet: createIdentity first')
    return this.statsPart.stats
  }

  /** [V3] Calls of every conversation (signalling only: media is the web client's). */
  get calls(): Calls {
    if (!this.callsPart) throw new Error('this device has no identity yet: createIdentity first')
    return this.callsPart.calls
  }

  private get presence(): Presence {
    if (!this.presencePart) throw new Error('this device has no identity yet: createIdentity first')
    return this.presencePart.presence
  }

  /**
   * [M70] The deployment's TURN servers and a short-lived credential for a call (protocol [S55]):
   * M570 when the server has no TURN, M571 offline or without an answer in `timeoutMs`.
   */
  turnCredentials(timeoutMs?: number): Promise<IceServer> {
    return this.p.engine.turnCredentials(timeoutMs)
  }

  /** [M56] The person saw `conv` (opened it, or the CLI's `read`): read moves to its newest message, and is told to the others. */
  async markRead(conv: ConvId): Promise<void> {
    // [M30] A wipe replaces the parts (presence among them): after it, the conversation may be gone.
    await this.wiping
    if (!this.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    this.counted(conv, {}) // [Q2] reading is using: active that day
    return this.presence.receipts.markRead(conv)
  }

  /** [M57] Settles true once this device's latest cursors of `conv` were sent, false after `timeoutMs` (offline: never sent). */
  async receiptSent(conv: ConvId, timeoutMs: number): Promise<boolean> {
    await this.wiping
    return this.presence.receipts.sentLatest(conv, timeoutMs)
  }

  /** [M57] Asks the other devices online for their cursors once `conv` is joined; settles whether the ask went. */
  async askReceipts(conv: ConvId, timeoutMs: number): Promise<boolean> {
    await this.wiping
    return this.presence.receipts.ask(conv, timeoutMs)
  }

  /** [M56] Messages from others after this device's read cursor, in the loaded window. */
  unread(conv: ConvId): number {
    return this.presencePart?.presence.unread(conv) ?? 0
  }

  unreadTotal(): number {
    return this.presencePart?.presence.unreadTotal() ?? 0
  }

  /** [M56] For a message of this person's: the people who have received it and who have read it. */
  receipts(conv: ConvId, message: string | { readonly ts: number; readonly id: string }): { delivered: string[]; read: string[] } {
    const m = typeof message === 'string' ? this.p.log.list(conv).find((x) => x.id === message) : message
    return m && this.presencePart ? this.presencePart.presence.receipts.receipts(conv, m) : { delivered: [], read: [] }
  }

  /** [M58] Read receipts are sent and shown in `conv` (the organisation's policy and the person's own setting). */
  readReceiptsShown(conv: ConvId): boolean {
    return this.presencePart?.presence.readReceiptsShown(conv) ?? false
  }

  /** [M58] The person's own setting: off sends no read cursor and shows nobody's. */
  get readReceipts(): boolean {
    return this.presencePart?.presence.readReceiptsOn ?? true
  }

  async setReadReceipts(on: boolean): Promise<void> {
    await this.wiping
    return this.presence.setReadReceipts(on)
  }

  /** [M59] People typing in `conv` now. */
  typing(conv: ConvId): string[] {
    return this.presencePart?.presence.typing.typing(conv) ?? []
  }

  /** [M59] The person types: at most one signal per 3 s, none while offline. Resolves whether one went. */
  setTyping(conv: ConvId): Promise<boolean> {
    return this.presencePart?.presence.typing.setTyping(conv) ?? Promise.resolve(false)
  }

  stopTyping(conv: ConvId): Promise<boolean> {
    return this.presencePart?.presence.typing.stopTyping(conv) ?? Promise.resolve(false)
  }

  hasEarlier(conv: ConvId): boolean {
    return this.p.segs.hasEarlier(conv)
  }

  async loadEarlier(conv: ConvId): Promise<void> {
    // [M13a] While it opens, the window is not there yet: earlier means earlier than what opening loads.
    await this.opening.get(conv)?.catch(() => undefined)
    await this.p.segs.loadEarlier(conv)
    this.events.emit('messages', { conv })
    void this.expiry?.sweep()
  }

  /**
   * Messages of the loaded segments in display order (timestamp, id); `withHidden` adds those
   * [M26] hides, marked `hidden` (an export keeps them, flagged, [M31]).
   */
  messages(conv: ConvId, opts?: { withHidden?: boolean }): DisplayMessage[] {
    const preview = this.previews.get(conv)
    if (preview) {
      // Expired while shown, or sent meanwhile: as the engine knows it now.
      const now = this.clock.wallNow()
      return preview.filter((m) => !isExpired(m.exp, now)).map((m) => (m.pending === this.pending.has(m.tag) ? m : { ...m, pending: !m.pending }))
    }
    return this.p.log.list(conv, opts)
  }

  /**
   * Writes a message locally and queues it. Resolves once the message is in local storage
   * (the outbox): from then on it survives reloads and crashes, and goes out by itself.
   */
  send(conv: ConvId, text: string, opts?: MessageRef | SendOptions): Promise<MessageView> {
    this.requireIdentity()
    const options = typeof opts === 'string' ? { replyTo: opts } : (opts ?? {})
    // During a wipe the parts are being replaced: write into the new ones.
    void this.stopTyping(conv) // [M59] the message went: no longer typing it
    const write = () => this.p.log.send(conv, text, options).then((v) => (this.pushPart?.sent(conv, v.tag), this.counted(conv, { messages: 1 }), v))
    return this.wiping ? this.wiping.then(write) : write()
  }

  /**
   * [M62] Wake-ups with the app closed: registers this browser's push subscription with the
   * server and publishes the device's push token to its organisations (again when the
   * subscription changed). Works offline: registered at the next connection.
   */
  enablePush(sub: BrowserSubscription): Promise<void> {
    this.requireIdentity()
    return this.pushPart!.enable(sub)
  }

  /** [M62] No more wake-ups: the token is withdrawn and the subscription deleted on the server. */
  disablePush(): Promise<void> {
    return this.pushPart?.disable() ?? Promise.resolve()
  }

  get pushEnabled(): boolean {
    return !!this.pushPart?.enabled
  }

  /** [M40] Edits a message this device wrote (its earlier texts are kept in the document). Actions name messages by `ref` ([M15]). */
  edit(conv: ConvId, id: MessageRef, text: string): Promise<void> {
    this.requireIdentity()
    return this.loaded(conv).then(() => this.p.log.actions.edit(conv, id, text))
  }

  /** [M41] Deletes a message this device wrote for everyone: a placeholder remains. */
  deleteMessage(conv: ConvId, id: MessageRef): Promise<void> {
    this.requireIdentity()
    return this.loaded(conv).then(() => this.p.log.actions.deleteMessage(conv, id))
  }

  /** [M42] Reacts to a message with one emoji; `unreact` takes this device's reaction back. */
  react(conv: ConvId, id: MessageRef, emoji: string): Promise<void> {
    this.requireIdentity()
    return this.loaded(conv).then(() => this.p.log.actions.react(conv, id, emoji))
  }

  unreact(conv: ConvId, id: MessageRef, emoji: string): Promise<void> {
    this.requireIdentity()
    return this.loaded(conv).then(() => this.p.log.actions.unreact(conv, id, emoji))
  }

  /** [M46] Pins (or, with `on` false, unpins) a message for every member. */
  pin(conv: ConvId, id: MessageRef, on = true): Promise<void> {
    this.requireIdentity()
    return this.loaded(conv).then(() => this.p.log.actions.pin(conv, id, on))
  }

  /** [M46] The pinned messages of the loaded window, the most recently pinned first (at most 20). */
  pinned(conv: ConvId): DisplayMessage[] {
    return pinnedOf(this.p.log.list(conv))
  }

  /** [M65] Sets the conversation's disappearing-messages timer for every member (seconds; 0: off; else M560). */
  setTimer(conv: ConvId, seconds: number): Promise<void> {
    this.requireIdentity()
    return this.p.log.timers.set(conv, seconds)
  }

  /** [M65] The conversation's timer, the organisation's maximum, and what a message sent now gets. */
  timer(conv: ConvId): TimerState {
    return this.p.log.timers.state(conv)
  }

  /** [M65] Timer changes of the loaded window as system lines ("Ana set disappearing messages to 1 day"). */
  timerLines(conv: ConvId): { id: string; ts: number; author: DeviceId; seconds: number; text: string }[] {
    const names = this.p.team.deviceNames(conv)
    return this.p.log.timers.changes(conv).map((t) => ({ id: t.id, ts: t.ts, author: t.author, seconds: t.seconds, text: timerLine(names.get(t.author) ?? `Device ${t.author.slice(0, 6)}`, t.seconds) }))
  }

  /**
   * [V7][M62] Calls of others in `conv` that may still be ringing, from their rings in the loaded
   * window (the service worker's wake rings from these with the app closed): started less than
   * RING_MS ago, not over.
   */
  ringingCalls(conv: ConvId, now = this.clock.wallNow()): { author: DeviceId; video: boolean; since: number }[] {
    return this.parts ? this.p.log.calls.ringing(conv, now, RING_MS) : []
  }

  /** [V7] The calls of the loaded window, oldest first: "Missed video call from Ann", "Video call, 12 min: Ann, Bo". */
  callHistory(conv: ConvId): CallHistoryLine[] {
    return this.parts ? this.p.log.calls.lines(conv) : []
  }

  /** [M67][M68] Looks for expired messages now (the engine also does when the next one is due); settles once this device's own are deleted. */
  expireDue(): Promise<void> {
    return this.expiry?.sweep() ?? Promise.resolve()
  }

  /**
   * [M44] Forwards a message to another conversation, marked forwarded: its text as a new
   * message (`message`), or, with files, its files fetched, opened and sealed anew for `to` with
   * the text as caption — an upload like `sendFiles` (`upload`: its id), checked against `to`'s
   * organisation's policy (`confirmed`: a warned file is sent anyway, [H6]). Files need the link.
   */
  async forward(from: ConvId, id: MessageRef, to: ConvId, opts: { confirmed?: boolean } = {}): Promise<{ message?: MessageView; upload?: string }> {
    this.requireIdentity()
    await this.loaded(from)
    const { text, files } = await this.p.log.actions.forwardable(from, id)
    if (!files.length) return { message: await this.p.log.send(to, text, { fwd: true }) }
    if (!this.registry.get(to)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    const items: Attachment[] = files.map((ref) => ({
      source: this.p.files.sourceOf(from, ref),
      name: ref.name,
      type: ref.type,
      ...(ref.thumb ? { thumb: ref.thumb } : {}),
      ...(ref.width !== undefined ? { width: ref.width } : {}),
      ...(ref.height !== undefined ? { height: ref.height } : {}),
      ...(ref.duration !== undefined ? { duration: ref.duration } : {}),
      ...(opts.confirmed ? { confirmed: true } : {}),
    }))
    return { upload: await this.p.files.send(to, items, text, undefined, true) }
  }

  /**
   * [A2] Attaches files (with an optional caption) as one message: each is sealed on this device
   * into the file outbox and the call resolves once they are queued, online or not. The message
   * appears in the conversation, at the time it was sent, when every file is on the server.
   */
  sendFiles(conv: ConvId, files: readonly Attachment[], caption = '', replyTo?: string): Promise<string> {
    this.requireIdentity()
    if (!this.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    return this.p.files.send(conv, files, caption, replyTo).then((id) => {
      this.counted(conv, { files: files.length, fileMb: Math.ceil(files.reduce((n, f) => n + f.source.size, 0) / 2 ** 20) })
      return id
    })
  }

  /** [Q1] Counts what this device's person did, for the organisation's usage statistics (never fails what was done). */
  private counted(conv: ConvId, delta: Parameters<Stats['record']>[1]): void {
    void this.statsPart?.stats.record(conv, delta).catch(() => undefined)
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

  /** [M71] A segment was dropped on this device: its queued message ids are no longer pending. */
  private segmentDropped(conv: ConvId, msgIds: readonly string[]): void {
    void this.views?.forget(conv)
    for (const id of msgIds) this.pending.delete(id)
    this.emitStatus()
    this.events.emit('messages', { conv })
  }

  private onDocChange({ doc, version, appended }: DocChange): void {
    const conv = this.convOfDoc.get(doc)
    if (!conv) return
    this.pruner?.changed(doc)
    if (this.p.layout.isRoot(doc)) {
      // A root lists segments (layout.ts): a new one is subscribed, and shows nothing until it is read.
      void this.p.layout.refresh(conv).then(() => {
        this.events.emit('conversations', undefined)
        this.events.emit('messages', { conv, onlyAdded: true })
      })
      return
    }
    // A segment that receives changes joins the loaded window: fresh activity (a late offline
    // writer, the next segment after a rollover) is shown without loading all history.
    this.searchPart?.touch(conv, doc)
    // [M3b] Entries a change only appended are added as the change gave them (the cache must
    // take them now, on the version they were made on); what they announce follows as a scan's would.
    // [M56] Appended to a segment already shown (or to a new one), the messages are all the change shows anew.
    const shown = !!appended && (appended.before === 0 || this.p.segs.shows(conv, doc))
    const fast = appended && this.p.segs.appended(conv, doc, appended.before, version, appended.entries)
    void (fast ? Promise.resolve(fast) : this.p.segs.scan(conv, doc)).then((found) => {
      // [M67] A message that arrives expired is never announced.
      const orgMax = orgMaxOf(this.p.team, conv)
      const now = this.clock.wallNow()
      const added = found.added.filter((m) => !verdictOnly(m) && !isExpired(expiryOf(m, orgMax), now))
      if (added.length) this.events.emit('added', { conv, messages: added })
      // [M45] Edits, deletions, reactions and pins change messages already shown.
      const updated = this.p.log.updated(conv, found)
      if (updated.length) this.events.emit('updated', { conv, messages: updated })
      const onlyAdded = !!fast && shown && added.length === found.added.length && !updated.length && !found.removed.length && !found.actions.length && !found.timers.length && !found.calls.length
      this.events.emit('messages', onlyAdded ? { conv, onlyAdded } : { conv })
      this.expiry?.added(conv, found.added)
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
