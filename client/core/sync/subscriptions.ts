import { convIdOf, docIdOf, idBytes, type CaughtUp, type ClientMessage, type ConvId, type Delivery, type DocId, type Envelopes, type Snapshots } from '../../../protocol/index.js'
import type { EngineEvents } from './engineEvents.js'
import { ClientErrorCode } from '../errors.js'
import type { Emitter } from '../events.js'
import type { Registry } from '../conversations/registry.js'
import type { Damaged, Receiver } from './receive.js'
import { Sequences } from './sequence.js'

/** [M33] How long a hole in a live sequence may stay open before it counts as a gap. */
export const GAP_WAIT_MS = 1000

export interface SubscriptionDeps {
  readonly registry: Registry
  readonly receiver: Receiver
  readonly events: Emitter<EngineEvents>
  readonly send: (msg: ClientMessage) => void
  /** A subscribe went out: the connection is syncing. */
  readonly syncing: () => void
  /** The engine's reconnect backoff ([M18]): repeated gaps in one document wait as long. */
  readonly backoff: { readonly initialMs: number; readonly maxMs: number }
  readonly gapWaitMs: number
  /** Runs `work` in the inbound queue, after the frames received so far (engine invariant 1). */
  readonly enqueue: (work: () => Promise<void>) => void
}

/**
 * One connection's subscriptions ([S5]) and the envelopes they bring ([M33]): which documents are
 * subscribed and which are still catching up; backlog pages go straight to the receiver, live
 * frames pass the document's sequence first (engine invariant 5), and a hole that does not fill
 * is fetched again. What the receiver finds damaged goes back to the engine, which ends the
 * connection (engine invariant 6). Keys are `conv + doc`.
 */
export class Subscriptions {
  private readonly sequences = new Sequences()
  private readonly subscribed = new Map<string, { conv: ConvId; doc: DocId }>()
  private readonly catchingUp = new Set<string>()
  /** Gaps in a row per document, kept across connections; a live frame that needed no holding ends the run. */
  private readonly strikes = new Map<string, number>()
  private readonly resyncs = new Set<ReturnType<typeof setTimeout>>()
  private holeTimer: ReturnType<typeof setTimeout> | undefined
  /** Bumped when the connection ends: work queued for an earlier one does nothing. */
  private connection = 0

  constructor(private readonly deps: SubscriptionDeps) {}

  /** Some subscription has not reached `caught-up`. */
  get catching(): boolean {
    return this.catchingUp.size > 0
  }

  subscribe(conv: ConvId, doc: DocId): void {
    const key = conv + doc
    if (this.subscribed.has(key)) return
    this.subscribed.set(key, { conv, doc })
    this.catchingUp.add(key)
    this.sequences.subscribed(key)
    this.deps.syncing()
    this.deps.send({ type: 'subscribe', conv: idBytes(conv), doc: idBytes(doc), cursor: this.deps.registry.cursor(conv, doc) })
  }

  /** [M71] Ends one document's subscription; false when it had none on this connection. */
  unsubscribe(conv: ConvId, doc: DocId): boolean {
    const key = conv + doc
    const had = this.subscribed.delete(key)
    this.catchingUp.delete(key)
    this.sequences.forget((k) => k === key)
    return had
  }

  /** [M71] The document is subscribed on this connection and its backlog has ended. */
  caughtUp(conv: ConvId, doc: DocId): boolean {
    const key = conv + doc
    return this.subscribed.has(key) && !this.catchingUp.has(key)
  }

  /** Subscribes again from the saved cursor; the server replaces its subscription ([S5]). */
  again(conv: ConvId, doc: DocId): void {
    this.subscribed.delete(conv + doc)
    this.subscribe(conv, doc)
  }

  async onEnvelopes(msg: Envelopes): Promise<Damaged | undefined> {
    // [S9] A backlog may skip pruned sseqs (the snapshots before it cover them): not checked.
    if (!msg.live) return this.deps.receiver.onEnvelopes(msg)
    const key = convIdOf(msg.conv) + docIdOf(msg.doc)
    // Invariant 5 of SyncEngine: only what follows the sequence without a hole reaches the receiver.
    const outcome = this.sequences.live(key, msg.items, Date.now())
    if (outcome.kind === 'drop') return undefined
    if (outcome.kind === 'gap') return this.gap(key)
    if (outcome.clean) this.strikes.delete(key)
    this.armHoleTimer()
    return this.apply(msg.conv, msg.doc, outcome.items)
  }

  onSnapshots(msg: Snapshots): Promise<Damaged | undefined> {
    return this.deps.receiver.onSnapshots(msg)
  }

  async onCaughtUp(msg: CaughtUp): Promise<Damaged | undefined> {
    const key = convIdOf(msg.conv) + docIdOf(msg.doc)
    const { done, items } = this.sequences.caughtUp(key, msg.cursor)
    // A subscribe replaced before its backlog ended still gets its own caught-up: wait for the last.
    if (done) this.catchingUp.delete(key)
    return this.apply(msg.conv, msg.doc, items)
  }

  /** This device's envelope was stored at `sseq`: the live stream will not carry it. */
  own(conv: ConvId, doc: DocId, sseq: number): void {
    this.sequences.own(conv + doc, sseq)
  }

  /** After an ack: applies what this device's own sseqs let through. */
  async release(): Promise<Damaged | undefined> {
    for (const { key, items } of this.sequences.released()) {
      const name = this.subscribed.get(key)
      const damaged = name && (await this.apply(idBytes(name.conv), idBytes(name.doc), items))
      if (damaged) return damaged
    }
    this.armHoleTimer()
    return undefined
  }

  /** A conversation is joined again: its subscriptions start over, from the saved cursors. */
  forget(conv: ConvId): void {
    for (const key of [...this.subscribed.keys()]) if (key.startsWith(conv)) this.subscribed.delete(key)
    for (const key of [...this.catchingUp]) if (key.startsWith(conv)) this.catchingUp.delete(key)
    this.sequences.forget((key) => key.startsWith(conv))
  }

  /** The connection ended. */
  clear(): void {
    this.connection++
    this.subscribed.clear()
    this.catchingUp.clear()
    this.sequences.clear()
    for (const t of this.resyncs) clearTimeout(t)
    this.resyncs.clear()
    clearTimeout(this.holeTimer)
    this.holeTimer = undefined
  }

  private async apply(conv: Uint8Array, doc: Uint8Array, items: Delivery[]): Promise<Damaged | undefined> {
    if (items.length === 0) return undefined
    return this.deps.receiver.onEnvelopes({ type: 'envelopes', conv, doc, items, live: true })
  }

  /**
   * A hole that did not fill: frames were lost on the way. Nothing above it was applied, so the
   * cursors are still below it; subscribing again from the saved cursor fetches it. Gaps in a row
   * wait as reconnects do ([M18]), so a server that keeps skipping is asked at most once per
   * `maxMs`, each time reported.
   */
  private gap(key: string): undefined {
    const name = this.subscribed.get(key)
    if (!name) return undefined
    const n = (this.strikes.get(key) ?? 0) + 1
    this.strikes.set(key, n)
    this.sequences.suspend(key)
    this.deps.events.emit('problem', { code: ClientErrorCode.STREAM_DAMAGED, detail: `sequence gap (${n} in a row)` })
    const { initialMs, maxMs } = this.deps.backoff
    const wait = n === 1 ? 0 : Math.min(maxMs, initialMs * 2 ** (n - 2)) * (0.8 + Math.random() * 0.4)
    const connection = this.connection
    const timer = setTimeout(() => {
      this.resyncs.delete(timer)
      this.deps.enqueue(async () => {
        if (this.connection !== connection || this.subscribed.get(key) !== name) return
        await this.deps.receiver.checkpoint() // the saved cursor is then as fresh as what was applied
        this.again(name.conv, name.doc)
      })
    }, wait)
    this.resyncs.add(timer)
    return undefined
  }

  private armHoleTimer(): void {
    const oldest = this.sequences.oldestHole()
    if (this.holeTimer || oldest === undefined) return
    this.holeTimer = setTimeout(() => {
      this.holeTimer = undefined
      const connection = this.connection
      this.deps.enqueue(async () => {
        if (this.connection !== connection) return
        for (const key of this.sequences.overdue(Date.now() - this.deps.gapWaitMs)) this.gap(key)
        this.armHoleTimer()
      })
    }, Math.max(0, oldest + this.deps.gapWaitMs - Date.now()))
  }
}
