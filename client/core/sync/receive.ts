import { CryptoErrorCode, openEnvelopes, toHex } from '../../../crypto/index.js'
import { convIdOf, docIdOf, idBytes, type ConvId, type DocId, type Envelopes, type Snapshots } from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import type { EngineEvents } from './engineEvents.js'
import { ClientErrorCode } from '../errors.js'
import type { Emitter } from '../events.js'
import { actorOf } from '../identity.js'
import { decodeChanges } from '../documents/payload.js'
import type { Registry } from '../conversations/registry.js'
import { checkChanges } from '../documents/writeRules.js'
import type { SegmentEntry } from '../documents/model.js'
import { DamageMemory } from './damage.js'

export interface ReceiverDeps {
  readonly registry: Registry
  readonly docs: DocStore
  readonly events: Emitter<EngineEvents>
  /** Root documents of a conversation ([M24]); default: the conversation id. */
  readonly isRoot: ((conv: ConvId, doc: DocId) => boolean) | undefined
  /**
   * [M26] Whether `device` (hex) was a member device of the conversation's `epoch` in the
   * membership this device holds; undefined for a conversation without a membership graph.
   */
  readonly memberOfEpoch: ((conv: ConvId, epoch: number, device: string) => boolean | undefined) | undefined
  /** [M26] Messages received envelopes created, with the epochs they were written under (known at once, stored by the promise). */
  readonly recordEpochs?: ((conv: ConvId, doc: DocId, batches: readonly { ids: readonly string[]; epoch: number }[]) => Promise<void>) | undefined
  /** [S12] The position of `epoch` among the conversation's epochs (graph order); undefined when unknown. */
  readonly epochRank?: ((conv: ConvId, epoch: number) => number | undefined) | undefined
}

/** [M33] A frame carried an envelope damaged on the way (`code`: C100 or C101): nothing of it was applied. */
export interface Damaged {
  readonly damaged: string
}

/**
 * The engine's receive path: envelopes and snapshots from the server are opened, checked and
 * applied, then the cursors saved behind them. Invariants are SyncEngine's, numbered there.
 */
export class Receiver {
  /** [T11] `conv + doc` whose envelopes wait for a key: skipped until fetched again. */
  readonly stalled = new Set<string>()
  private readonly waiting = new Set<ConvId>()
  private readonly dirty = new Map<string, { conv: ConvId; doc: DocId; cursor: number; epoch?: number }>()
  /** [S12] Per `conv + doc`: the newest epoch seen in its stream so far (ranked afresh each time: merges move ranks). */
  private readonly newestEpoch = new Map<string, number>()
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined
  private readonly damage = new DamageMemory()

  constructor(private readonly deps: ReceiverDeps) {}

  async onEnvelopes(msg: Envelopes): Promise<Damaged | undefined> {
    const conv = convIdOf(msg.conv)
    const doc = docIdOf(msg.doc)
    if (!this.deps.registry.get(conv) || msg.items.length === 0) return
    if (this.stalled.has(conv + doc)) return // [T11] everything after a missing key comes again later
    const opened = await this.openAndApply(conv, doc, msg.items.map((i) => i.env), true)
    if ('damaged' in opened) return opened // [M33] the cursor stays: the frame comes again
    const { missing } = opened
    // [T11] The cursor never passes an envelope whose key this device does not hold yet.
    const stop = missing === undefined ? msg.items.length : missing
    if (missing !== undefined) {
      this.stalled.add(conv + doc)
      this.setWaiting(conv, true)
    }
    const last = stop > 0 ? msg.items[stop - 1]!.sseq : 0
    if (last > 0) {
      const epoch = this.newestEpoch.get(conv + doc)
      this.dirty.set(conv + doc, { conv, doc, cursor: Math.max(last, this.dirty.get(conv + doc)?.cursor ?? 0), ...(epoch !== undefined ? { epoch } : {}) })
      this.scheduleCheckpoint()
    }
    return undefined
  }

  /**
   * [S12] An honest server stores a document's envelopes in the order of the epochs it moved
   * through: once an envelope under a newer epoch is in the stream, one under an older epoch after
   * it was stored after the rotation — a server that took a push [S12] refuses (a removed member's
   * late words, relayed or its own). Such envelopes are reported (M305) and never applied. Only
   * envelopes that opened (their epoch is authenticated by its key) and were applied move the
   * newest epoch, and only before the first one whose key is missing (the cursor stops there; what
   * follows comes again). Epochs this device does not rank yet are not judged.
   */
  private isLate(conv: ConvId, newest: number | undefined, epoch: number): boolean {
    const rank = this.deps.epochRank
    if (!rank || newest === undefined) return false
    const r = rank(conv, epoch)
    const top = rank(conv, newest)
    return r !== undefined && top !== undefined && r < top
  }

  private advance(conv: ConvId, newest: number | undefined, epoch: number): number {
    const rank = this.deps.epochRank
    const r = rank?.(conv, epoch)
    const top = newest === undefined ? undefined : rank?.(conv, newest)
    return newest === undefined || r === undefined || top === undefined || r >= top ? epoch : newest
  }

  /** Conversations with envelopes this device cannot open yet ([T11]). */
  waitingForKey(conv: ConvId): boolean {
    return this.waiting.has(conv)
  }

  /** [T11] New keys for a conversation: its documents are no longer skipped. */
  unstall(conv: ConvId): void {
    for (const key of [...this.stalled]) if (key.startsWith(conv)) this.stalled.delete(key)
    this.setWaiting(conv, false)
  }

  private setWaiting(conv: ConvId, waiting: boolean): void {
    if (waiting === this.waiting.has(conv)) return
    if (waiting) this.waiting.add(conv)
    else this.waiting.delete(conv)
    this.deps.events.emit('waiting', { conv, waiting })
  }

  /** [S9][E12] Snapshots replace pruned envelopes; they never move the cursor. */
  async onSnapshots(msg: Snapshots): Promise<Damaged | undefined> {
    const conv = convIdOf(msg.conv)
    if (!this.deps.registry.get(conv) || msg.envs.length === 0) return
    const opened = await this.openAndApply(conv, docIdOf(msg.doc), msg.envs)
    return 'damaged' in opened ? opened : undefined
  }

  /**
   * Invariant 3: verify, decrypt and check every envelope; apply what passes in one batch.
   * Returns the index of the first envelope whose epoch key is missing ([T11]), if any, or, with
   * nothing applied, that the envelopes were damaged on the way ([M33]).
   */
  private async openAndApply(conv: ConvId, doc: DocId, envs: readonly Uint8Array[], stream = false): Promise<{ missing: number | undefined } | Damaged> {
    const rec = this.deps.registry.get(conv)!
    const ctx = { conv: idBytes(conv), doc: idBytes(doc), keyFor: (epoch: number) => rec.keys.get(epoch) }
    // Signatures are checked in parallel (WebCrypto); then decrypt and check each ([E2]–[E9]).
    const opened = await openEnvelopes(envs, ctx) // [E11] one signature per chain run
    const damaged = this.damagedOnTheWay(envs, opened)
    if (damaged) return damaged
    const batches: Uint8Array[][] = []
    const created: { ids: string[]; epoch: number }[] = []
    // [M3b] What the batches add to a segment's list, while every one of them only appends.
    let appended: SegmentEntry[] | undefined = []
    const missing = opened.findIndex((r) => !r.ok && r.code === CryptoErrorCode.NO_KEY)
    // [S12] The newest epoch of this document's stream (after a restart, as saved with the cursor).
    let newest = stream ? (this.newestEpoch.get(conv + doc) ?? this.deps.registry.newestEpoch(conv, doc)) : undefined
    for (const [i, result] of opened.entries()) {
      if (!result.ok && result.code === CryptoErrorCode.NO_KEY) continue // waiting, not refused
      if (stream && result.ok && this.isLate(conv, newest, result.value.header.epoch)) {
        this.deps.events.emit('problem', { code: ClientErrorCode.LATE_ENVELOPE, detail: `epoch ${result.value.header.epoch}` })
        continue
      }
      if (!result.ok) {
        this.deps.events.emit('problem', { code: ClientErrorCode.ENVELOPE_REJECTED, detail: result.code })
        continue
      }
      // [M26] only a recipient of the epoch it wrote under: a removed member's envelope under an
      // epoch that did not include it (whatever a server accepted) is never applied. A recipient
      // removed concurrently is applied (others may have built on it) and hidden when shown.
      if (this.deps.memberOfEpoch?.(conv, result.value.header.epoch, toHex(result.value.device)) === false) {
        this.deps.events.emit('problem', { code: ClientErrorCode.NOT_EPOCH_MEMBER, detail: `epoch ${result.value.header.epoch}` })
        continue
      }
      const batch = decodeChanges(result.value.payload)
      if (!batch) {
        this.deps.events.emit('problem', { code: ClientErrorCode.CHANGE_UNREADABLE })
        continue
      }
      // [E10] the author is the signer; [M20] and the signer wrote only what it may.
      const isRoot = this.deps.isRoot ? this.deps.isRoot(conv, doc) : doc === (conv as string)
      const verdict = checkChanges(batch, actorOf(result.value.device), isRoot ? 'root' : 'segment')
      if (!verdict.ok) {
        this.deps.events.emit('problem', { code: verdict.code })
        continue
      }
      batches.push(batch)
      created.push({ ids: verdict.created, epoch: result.value.header.epoch })
      if (appended && verdict.appended) appended.push(...verdict.appended)
      else appended = undefined
      if (stream && (missing < 0 || i < missing)) newest = this.advance(conv, newest, result.value.header.epoch)
    }
    if (stream && newest !== undefined) this.newestEpoch.set(conv + doc, newest)
    if (batches.length === 0) return { missing: missing < 0 ? undefined : missing }
    // Known before the changes are applied (a message is never shown without its epoch), and
    // stored with one write, before the cursor can move past these envelopes.
    const recorded = this.deps.recordEpochs?.(conv, doc, created)
    try {
      await this.deps.docs.apply(doc, batches.flat(), appended)
    } catch {
      // Defence in depth: one batch Automerge refuses must not take the others with it.
      for (const batch of batches) {
        try {
          await this.deps.docs.apply(doc, batch)
        } catch (err) {
          this.deps.events.emit('problem', { code: ClientErrorCode.CHANGE_UNREADABLE, detail: String(err) })
        }
      }
    }
    await recorded
    return { missing: missing < 0 ? undefined : missing }
  }

  /**
   * [M33] The server stores only envelopes that parse and carry their author's signature ([S4]):
   * failing either here, they were changed on the way, unless the same bytes came before (see
   * DamageMemory). Every new one is remembered, so a stored one is skipped on the next fetch.
   */
  private damagedOnTheWay(envs: readonly Uint8Array[], opened: readonly { ok: boolean; code?: string }[]): Damaged | undefined {
    let first: string | undefined
    opened.forEach((r, i) => {
      if (r.ok || (r.code !== CryptoErrorCode.MALFORMED && r.code !== CryptoErrorCode.BAD_SIGNATURE)) return
      if (!this.damage.repeat(envs[i]!)) first ??= r.code
    })
    return first === undefined ? undefined : { damaged: first }
  }

  private scheduleCheckpoint(): void {
    this.checkpointTimer ??= setTimeout(() => {
      this.checkpointTimer = undefined
      void this.checkpoint()
    }, 250)
  }

  /** Invariant 2: documents first, cursors after. */
  async checkpoint(): Promise<void> {
    clearTimeout(this.checkpointTimer)
    this.checkpointTimer = undefined
    const entries = [...this.dirty.values()]
    this.dirty.clear()
    if (entries.length === 0) return
    await this.deps.docs.flush(entries.map((e) => e.doc))
    await this.deps.registry.saveCursors(entries)
  }
}
