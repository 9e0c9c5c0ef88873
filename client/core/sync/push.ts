import { SNAPSHOT_KIND, sealEnvelope, type EnvelopeAuthors } from '../../../crypto/index.js'
import { ErrorCode, idBytes, type Ack, type ClientMessage, type ConvId, type DocId } from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import type { EngineEvents } from './engineEvents.js'
import { ClientErrorCode } from '../errors.js'
import type { Emitter } from '../events.js'
import type { MailOutbox } from '../outbox/mailOutbox.js'
import type { Outbox } from '../outbox/outbox.js'
import { encodeChanges } from '../documents/payload.js'
import type { Registry } from '../conversations/registry.js'

export interface PusherDeps {
  readonly registry: Registry
  readonly docs: DocStore
  readonly outbox: Outbox
  /** This device's chain keys and certificates per conversation and epoch (crypto [E13]). */
  readonly authors: EnvelopeAuthors
  readonly events: Emitter<EngineEvents>
  /** Mail to deliver to other devices ([S11]). */
  readonly mail: MailOutbox | undefined
  /** Acknowledged envelopes of one document after which this device snapshots its own log ([E12]). */
  readonly snapshotEvery: number | undefined
  /** [T19] Removal notices may leave now (every rotation this device made is registered). */
  readonly noticesMayGo: (() => boolean) | undefined
  /** Conversations the server confirmed this device's access to, at the epoch it confirmed. */
  readonly joined: ReadonlyMap<ConvId, number>
  /** The connection is authenticated. */
  readonly ready: () => boolean
  /** The socket is open. */
  readonly open: () => boolean
  readonly send: (msg: ClientMessage) => void
  /** A flush or an ack ended: the connection state may have changed. */
  readonly updateState: () => void
  /** [M24] Root documents of a conversation (never dropped, [M71]). */
  readonly isRoot: (conv: ConvId, doc: DocId) => boolean
  /** [M33] This device's envelope is stored at `sseq`: the server does not send it back live. */
  readonly stored?: (conv: ConvId, doc: DocId, sseq: number) => void
}

interface InFlight { conv: ConvId; doc: DocId; seq: number; epoch: number; snapshot?: boolean }

/**
 * The engine's send path: seals what the outbox holds and pushes it, sends queued mail, and
 * settles both when the server acknowledges them. Invariants are SyncEngine's, numbered there.
 */
export class Pusher {
  /** The server's limits, from its challenge. */
  limits = { maxEnvelopesPerPush: 256, maxFrameBytes: 4 * 1024 * 1024 }
  private readonly inFlight = new Map<number, InFlight[]>()
  private readonly mailInFlight = new Map<number, string[]>()
  private mailFlush: Promise<void> = Promise.resolve()
  private readonly snapshotting = new Set<string>()
  /** [M71] `conv + doc` answered 1206: never sealed or pushed again (changes made meanwhile wait to be dropped with it). */
  private readonly dropped = new Set<string>()
  private nextPushId = 1
  private flushing: Promise<void> | undefined
  private flushAgain = false

  constructor(private readonly deps: PusherDeps) {}

  /** Pushes or a flush are under way: the connection is still syncing. */
  get busy(): boolean {
    return this.inFlight.size > 0 || !!this.flushing
  }

  /** Settles once no seal-and-push loop and no mail flush runs. */
  async settled(): Promise<void> {
    await this.flushing
    await this.mailFlush
  }

  /** The connection dropped: no ack comes for what was in flight. */
  clear(): void {
    this.inFlight.clear()
    this.mailInFlight.clear()
  }

  requestFlush(): void {
    if (!this.deps.ready()) return
    if (this.flushing) {
      this.flushAgain = true
      return
    }
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined
      this.deps.updateState()
    })
  }

  /**
   * Sends queued mail that is not already on its way; each item leaves the queue when the server
   * acknowledges it. [T19] Removal notices wait until `noticesMayGo` says the server has every
   * rotation this device made.
   */
  flushMail(): Promise<void> {
    // One flush at a time: two that listed the queue together would both send an item, and the
    // recipient would handle it twice (a join request answered twice is refused the second time).
    const next = this.mailFlush.then(() => this.flushMailOnce())
    this.mailFlush = next.catch(() => undefined)
    return next
  }

  private async flushMailOnce(): Promise<void> {
    const mail = this.deps.mail
    if (!this.deps.ready() || !mail) return
    const notices = this.deps.noticesMayGo?.() ?? true
    const items = await mail.list()
    const sending = new Set([...this.mailInFlight.values()].map((k) => k.join('/')))
    for (const item of items) {
      if (sending.has(item.key.join('/')) || (item.notice && !notices)) continue
      if (!this.deps.ready() || !this.deps.open()) return
      const id = this.nextPushId++
      this.mailInFlight.set(id, item.key)
      this.deps.send({ type: 'mail', id, to: item.to, ...(item.decoys.length ? { decoys: item.decoys } : {}), items: [item.body] })
    }
  }

  /** [S11] Handled items; `pool`: the decoy pool key an item was posted with (crypto [K8]), so its decoys go too. */
  mailDone(done: readonly { id: number; pool?: Uint8Array }[]): void {
    for (let i = 0; i < done.length; i += 1000) {
      const part = done.slice(i, i + 1000)
      const pools = part.flatMap((d) => (d.pool ? [{ id: d.id, key: d.pool }] : []))
      this.deps.send({ type: 'mail-done', ids: part.map((d) => d.id), ...(pools.length ? { pools } : {}) })
    }
  }

  async onAck(msg: Ack): Promise<void> {
    const mailKey = this.mailInFlight.get(msg.id)
    if (mailKey) {
      // Still counted as in flight until it has left the queue, so no flush sends it again.
      if (msg.results.every((r) => 'sseq' in r)) await this.deps.mail?.remove([mailKey])
      else this.deps.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: 'mailbox full' })
      this.mailInFlight.delete(msg.id)
      return
    }
    const sent = this.inFlight.get(msg.id)
    if (!sent) return
    this.inFlight.delete(msg.id)
    const accepted: InFlight[] = []
    const dropped = new Map<string, { conv: ConvId; doc: DocId }>()
    for (let i = 0; i < sent.length; i++) {
      const result = msg.results[i]
      if (result && 'sseq' in result) {
        accepted.push(sent[i]!)
        // A snapshot takes no sseq of its own: it is acked with its covered head's ([S9]).
        if (!sent[i]!.snapshot) this.deps.stored?.(sent[i]!.conv, sent[i]!.doc, result.sseq)
      }
      // [S12] The server moved to another epoch meanwhile: the envelope stays sealed until this
      // device has joined the new epoch, then it is sealed again under it (outbox invariant 4).
      else if (result?.code === ErrorCode.STALE_EPOCH) continue
      // [S56][M71] The server dropped the document (its keep-until day passed): nothing of it is
      // stored any more, so this device's pending changes for it go and it is never pushed again.
      // Not a problem to show: they belong to messages that expired.
      else if (result?.code === ErrorCode.DOC_DROPPED) dropped.set(sent[i]!.conv + sent[i]!.doc, { conv: sent[i]!.conv, doc: sent[i]!.doc })
      else if (result) this.deps.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: `push refused: ${result.code}` })
    }
    for (const a of accepted) if (a.snapshot) await this.deps.outbox.compactedTo(a.conv, a.doc, a.epoch, a.seq)
    const delivered = await this.deps.outbox.acked(accepted.filter((a) => !a.snapshot))
    if (delivered.length) this.deps.events.emit('delivered', { msgIds: delivered, convs: [...new Set(accepted.map((a) => a.conv))] })
    for (const a of accepted) if (!a.snapshot) this.maybeSnapshot(a.conv, a.doc, a.epoch)
    for (const { conv, doc } of dropped.values()) await this.docDropped(conv, doc)
    this.requestFlush() // whatever gathered while this push was in flight
    this.deps.updateState()
  }

  /**
   * [M71] A 1206 for `doc`: its pending changes leave the outbox before anything else is sealed,
   * and the engine is told (the Messenger drops the segment locally). A root document is never
   * dropped by an honest server (its changes are kept forever): that answer is reported, and
   * nothing is dropped.
   */
  private async docDropped(conv: ConvId, doc: DocId): Promise<void> {
    if (this.deps.isRoot(conv, doc)) {
      this.deps.events.emit('problem', { code: ClientErrorCode.SERVER_REFUSED, detail: `push refused: ${ErrorCode.DOC_DROPPED} for a root document` })
      return
    }
    this.dropped.add(conv + doc)
    const msgIds = await this.deps.outbox.dropDoc(conv, doc)
    this.deps.events.emit('dropped', { conv, doc, msgIds })
  }

  /**
   * [E12] Once enough of this device's envelopes for a document are acknowledged and nothing
   * is pending, replace them on the server with one snapshot of its own changes: one signature
   * and one blob for a new device instead of hundreds, and the server prunes the rest.
   */
  private maybeSnapshot(conv: ConvId, doc: DocId, epoch: number): void {
    const chain = this.deps.outbox.chain(conv, doc, epoch)
    const every = this.deps.snapshotEvery ?? 256
    const key = conv + doc
    // A snapshot carries every change this device made to the document, under the key of one
    // epoch: only when it wrote the document in that epoch alone, so no change reaches a reader
    // under a key other than the one it was written under (a newcomer of a group without history).
    const single = this.deps.outbox.epochsOf(conv, doc).length === 1
    if (!chain || !single || chain.seq - chain.compacted < every || !this.deps.outbox.idle(conv, doc) || this.snapshotting.has(key)) return
    this.snapshotting.add(key)
    void (async () => {
      try {
        const rec = this.deps.registry.get(conv)
        const changes = await this.deps.docs.ownChanges(doc)
        if (!rec || rec.epoch !== epoch || !this.deps.ready() || changes.length === 0 || !this.deps.outbox.idle(conv, doc)) return
        const author = await this.deps.authors.forEpoch(idBytes(conv), epoch)
        const header = { kind: SNAPSHOT_KIND, conv: idBytes(conv), doc: idBytes(doc), epoch, chain: author.chain, seq: chain.seq, prev: chain.prev } as const
        const env = await sealEnvelope(header, encodeChanges(changes), rec.keys.get(epoch)!, author)
        if (!this.deps.ready() || !this.deps.open()) return
        const id = this.nextPushId++
        this.inFlight.set(id, [{ conv, doc, seq: chain.seq, epoch, snapshot: true }])
        // [M71] Outbox invariant 5: the chain's day covers every change the snapshot holds.
        this.deps.send({ type: 'push', id, envelopes: [env.bytes], keep: [chain.keep] })
      } finally {
        this.snapshotting.delete(key)
      }
    })()
  }

  /** Invariant 4: the only place that seals and pushes. */
  private async flushLoop(): Promise<void> {
    do {
      this.flushAgain = false
      for (const [conv, joinedAt] of this.deps.joined) {
        const rec = this.deps.registry.get(conv)
        // [T7] while no epoch is safe to write under, changes wait in the outbox; [S12] and they
        // are pushed only under the epoch the server confirmed (else it refuses them anyway).
        if (!rec || rec.hold || rec.epoch !== joinedAt) continue
        for (const doc of this.deps.outbox.pendingDocs(conv)) {
          if (!this.deps.ready()) return
          // One push in flight per document: while it waits for its ack, new changes gather
          // and go out together in the next envelope (one signature, one write, one frame).
          if (this.inFlightFor(conv, doc) || this.dropped.has(conv + doc)) continue
          await this.deps.outbox.seal(conv, doc, rec.epoch, rec.keys.get(rec.epoch)!, this.deps.authors)
          this.pushSealed(conv, doc, this.deps.outbox.sealed(conv, doc))
        }
      }
    } while (this.flushAgain && this.deps.ready())
  }

  private inFlightFor(conv: ConvId, doc: DocId): boolean {
    for (const batch of this.inFlight.values()) for (const f of batch) if (!f.snapshot && f.conv === conv && f.doc === doc) return true
    return false
  }

  private pushSealed(conv: ConvId, doc: DocId, sealed: readonly { seq: number; epoch: number; env: Uint8Array; keep: number }[]): void {
    // The connection may have dropped while sealing: an in-flight entry with no socket would
    // wait for an ack that never comes and hold the document back ([M5]: pushed again on reconnect).
    if (!this.deps.ready() || !this.deps.open()) return
    const sending = new Set<number>()
    for (const batch of this.inFlight.values()) for (const f of batch) if (f.conv === conv && f.doc === doc) sending.add(f.seq)
    let batch: { seq: number; epoch: number; env: Uint8Array; keep: number }[] = []
    let bytes = 0
    const sendBatch = () => {
      if (!batch.length) return
      const id = this.nextPushId++
      this.inFlight.set(id, batch.map((b) => ({ conv, doc, seq: b.seq, epoch: b.epoch })))
      // [S56] One day per envelope, every push: 0 is forever.
      this.deps.send({ type: 'push', id, envelopes: batch.map((b) => b.env), keep: batch.map((b) => b.keep) })
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
}
