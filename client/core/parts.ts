import type * as A from '@automerge/automerge'
import type { ConvId, DeviceId, DocId } from '../../protocol/index.js'
import { AccessState } from './conversations/access.js'
import { DocStore } from './documents/docs.js'
import { SyncEngine } from './sync/engine.js'
import { ClientErrorCode } from './errors.js'
import type { Emitter } from './events.js'
import type { HybridClock } from './documents/hlc.js'
import type { Identity } from './identity.js'
import { ConversationLayout, rootDocOf } from './documents/layout.js'
import { MailOutbox } from './outbox/mailOutbox.js'
import { MessageLog } from './documents/messageLog.js'
import { MessageEpochs } from './documents/messageEpochs.js'
import type { MessengerEvents, MessengerOptions } from './messengerTypes.js'
import { SEGMENT_CAPACITY, SEGMENT_GENESIS } from './documents/model.js'
import { Outbox } from './outbox/outbox.js'
import type { Registry } from './conversations/registry.js'
import { SegmentWindow } from './documents/segmentWindow.js'
import { Team } from './team/team.js'
import type { WipeReason } from './wipe/tombstone.js'
import { Attachments } from './files/attachments.js'
import { memorySpool } from './files/spool.js'
import { DroppedSegments } from './prune/tombstones.js'
import { KEEP_FOREVER } from './prune/keepDay.js'

/** What a Messenger is built from once this device has an identity. */
export interface Parts {
  readonly docs: DocStore
  readonly outbox: Outbox
  readonly segs: SegmentWindow
  readonly mailOut: MailOutbox
  readonly engine: SyncEngine
  readonly layout: ConversationLayout
  readonly log: MessageLog
  readonly team: Team
  readonly access: AccessState
  readonly epochs: MessageEpochs
  readonly files: Attachments
  /** [M71] Segments dropped on this device (their tombstones). */
  readonly dropped: DroppedSegments
  /** Mailbox items that are not the team's (usage statistics, client [Q3]): true when handled. */
  otherMail?: (body: Uint8Array) => Promise<boolean>
}

/** What the parts ask of the Messenger they make up. */
export interface PartsHost {
  readonly options: MessengerOptions
  readonly registry: Registry
  readonly clock: HybridClock
  readonly events: Emitter<MessengerEvents>
  /** The conversation of every document this device knows. */
  readonly convOfDoc: Map<DocId, ConvId>
  /** Tags of this device's messages not delivered yet. */
  readonly pending: Set<string>
  readonly emitStatus: () => void
  readonly waitingForKey: (conv: ConvId) => boolean
  /** [M30] This device was removed from an organisation: wipe its data here. */
  readonly orgRemoved: (org: ConvId, reason: WipeReason) => Promise<void>
  /** [M30] This device wiped an organisation lately (its late mail is expected not to open). */
  readonly recentlyWiped: () => boolean
  /** [M64] A message of this device was written (a file message once its upload is done): the others are woken once it is acknowledged. */
  readonly messageWritten: (conv: ConvId, tag: string) => void
}

/** Makes the parts and wires them to each other; nothing is loaded or started yet. */
export function makeParts(identity: Identity, host: PartsHost): Parts {
  const { options, registry, clock, events, convOfDoc } = host
  // [M71] Loaded (`load`) before anything reads a document.
  const dropped = new DroppedSegments(options.store)
  const isDropped = (doc: DocId) => dropped.has(doc)
  // Segments start from the shared genesis change; the root starts empty.
  const docs = new DocStore(options.store, identity.actor, (doc) => (layout.isRoot(doc) ? undefined : SEGMENT_GENESIS), isDropped)
  const outbox = new Outbox(options.store, isDropped)
  const segs = new SegmentWindow(docs, clock, isDropped)
  const mailOut = new MailOutbox(options.store, () => host.emitStatus(), () => clock.wallNow())
  const epochs = new MessageEpochs(options.store)
  const engine = new SyncEngine(identity, registry, docs, outbox, {
    url: options.url,
    socket: options.socket,
    // [M71] A dropped segment is never subscribed again.
    docsOf: (conv) => {
      const next = layout.nextSegment(conv) // [M11a] subscribed ahead of its announcement
      const known = segs.segmentsOf(conv).flatMap((s) => (isDropped(s.id) ? [] : [s.id]))
      return [...layout.rootsOf(conv), ...known, ...(next && !known.includes(next) ? [next] : [])]
    },
    isRoot: (conv, doc) => layout.rootsOf(conv).includes(doc),
    adminSecrets: (conv, rec) => team?.adminSecretsFor(conv, rec.serverEpoch, rec.epoch),
    heartbeatMs: options.heartbeatMs,
    backoff: options.backoff,
    snapshotEvery: options.snapshotEvery,
    mail: mailOut,
    onMail: (items) => onMail(items),
    noticesMayGo: () => team?.noticesMayGo() ?? true,
    // [M26] applying needs a recipient of the epoch; a concurrent removal only hides (messageLog).
    memberOfEpoch: (conv, epoch, device) => team?.memberOfEpoch(conv, epoch, device, true),
    epochRank: (conv, epoch) => team?.epochRank(conv, epoch),
    recordEpochs: (conv, doc, batches) => epochs.record(conv, doc, batches),
  })
  const layout: ConversationLayout = new ConversationLayout({
    docs,
    segs,
    engine,
    clock,
    team: () => team,
    convOfDoc,
    segmentCapacity: options.segmentCapacity ?? SEGMENT_CAPACITY,
    // [M71] Root documents list the segments: kept for ever.
    change: (conv, doc, fns) => changeAndQueue(conv, doc, fns, [], KEEP_FOREVER),
  })
  const log = new MessageLog({
    registry,
    layout,
    segs,
    clock,
    identity,
    team: () => team,
    epochs,
    pending: host.pending,
    // [M71] A segment's changes are kept until the day the conversation's effective timer gives.
    change: (conv, doc, fns, msgIds, ts, keep, after) => changeAndQueue(conv, doc, fns, msgIds, keep ?? log.timers.keepNow(conv), ts, after),
    append: (conv, doc, records, msgIds, ts) => appendAndQueue(conv, doc, records, msgIds, log.timers.keepNow(conv), ts),
    emitStatus: () => host.emitStatus(),
  })
  const team: Team = new Team({
    store: options.store,
    identity,
    registry,
    engine,
    mailOut,
    changed: (conv) => {
      convOfDoc.set(rootDocOf(conv), conv)
      events.emit('conversations', undefined)
      events.emit('messages', { conv })
      if (registry.get(conv)) void layout.refresh(conv)
    },
    problem: (code, detail) => events.emit('problem', { code, ...(detail ? { detail } : {}) }),
    removed: (conv, removed) => access.setLost(conv, removed),
    orgRemoved: (org, reason) => host.orgRemoved(org, reason),
    recentlyWiped: () => host.recentlyWiped(),
    ...(options.bundleBytes ? { bundleBytes: options.bundleBytes } : {}),
  })
  const access = new AccessState({
    memberByGraph: (conv) => team.isMember(conv),
    rejoin: (conv) => void engine.rejoin(conv),
    emitAccess: (conv, lost) => events.emit('access', { conv, lost }),
    emitWaiting: (conv) => events.emit('waiting', { conv, waiting: host.waitingForKey(conv) }),
  })

  /** `keep`: the changes' "keep until" day ([M71], protocol [S56]; 0: for ever). */
  async function changeAndQueue<T>(conv: ConvId, doc: DocId, fns: A.ChangeFn<T>[], msgIds: string[], keep: number, ts?: number, after?: (doc: A.Doc<T>) => void): Promise<Uint8Array[]> {
    convOfDoc.set(doc, conv)
    const changes = await docs.change<T>(doc, fns, ts, after)
    await outbox.add(conv, doc, changes, msgIds, keep)
    engine.requestFlush()
    return changes
  }

  /** [M3b] `changeAndQueue` for a run of records appended to a segment's list. */
  async function appendAndQueue(conv: ConvId, doc: DocId, records: readonly object[], msgIds: string[], keep: number, ts: number): Promise<{ change: Uint8Array; ids: string[] } | undefined> {
    convOfDoc.set(doc, conv)
    const made = await docs.append(doc, records, ts)
    if (!made) return undefined
    await outbox.add(conv, doc, [made.change], msgIds, keep)
    engine.requestFlush()
    return made
  }

  /**
   * Mailbox items: team bundles, join requests and refusals; anything else is reported and let
   * go. Each goes with the decoy pool key of its organisation, so its decoys leave with it.
   */
  async function onMail(items: readonly { id: number; body: Uint8Array }[]): Promise<void> {
    const done: { id: number; pool?: Uint8Array }[] = []
    for (const item of items) {
      const handled = (await team.onMail(item.body)) || ((await parts.otherMail?.(item.body).catch(() => false)) ? {} : false)
      if (!handled) events.emit('problem', { code: ClientErrorCode.ENVELOPE_REJECTED, detail: 'mailbox item refused' })
      done.push({ id: item.id, ...(handled && handled.pool ? { pool: handled.pool } : {}) })
    }
    engine.mailDone(done)
  }

  const files = new Attachments({
    store: options.store,
    spool: options.spool ?? memorySpool(),
    ...(options.reopenFile ? { reopen: options.reopenFile } : {}),
    syncUrl: options.url,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    registry,
    log,
    clock,
    filePolicy: (conv) => {
      const org = registry.get(conv)?.space?.org ?? conv
      return team.policy(org).files
    },
    changed: () => {
      events.emit('uploads', undefined)
      host.emitStatus()
    },
    written: (conv, tag) => host.messageWritten(conv, tag),
    ...(options.uploadPutChunks ? { putChunks: options.uploadPutChunks } : {}),
    ...(options.uploadBackoff ? { backoff: options.uploadBackoff } : {}),
  })

  const parts: Parts = { docs, outbox, segs, mailOut, engine, layout, log, team, access, epochs, files, dropped }
  return parts
}
