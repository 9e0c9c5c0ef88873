import type { ConvId, DocId } from '../../../protocol/index.js'
import type { ActionView } from '../documents/actions.js'
import { expiryOf, isExpired } from '../documents/expiry.js'
import type { SegmentInfo } from '../documents/model.js'
import type { SegmentEntries } from './entries.js'
import { judgeSegment, type TargetState } from './judge.js'
import type { ConvVerdicts } from './verdicts.js'

/** What the pruner asks of the engine (prune/wire.ts makes it from the Messenger's parts). */
export interface PrunerDeps {
  readonly conversations: () => readonly ConvId[]
  /** A conversation's segments, oldest first. */
  readonly segmentsOf: (conv: ConvId) => readonly SegmentInfo[]
  /** The segment new entries go to ([M11]): never dropped by the pruner. */
  readonly writable: (conv: ConvId) => DocId | undefined
  readonly isDropped: (seg: DocId) => boolean
  /** The segment's subscription caught up on this connection: this device holds what the server had. */
  readonly caughtUp: (conv: ConvId, seg: DocId) => boolean
  /** Entries from memory (the loaded window, or a loaded document): no storage read. */
  readonly cached: (seg: DocId) => Promise<SegmentEntries | undefined>
  /** Entries read from storage; undefined when the device has no data for the segment. */
  readonly stored: (seg: DocId) => Promise<SegmentEntries | undefined>
  readonly orgMax: (conv: ConvId) => number | undefined
  /** This device's wall clock ([M67]). */
  readonly now: () => number
  readonly drop: (conv: ConvId, seg: DocId) => Promise<void>
  /** The verdicts kept from before (prune/verdicts.ts), read once, and their saving. */
  readonly loadVerdicts: () => Promise<Map<ConvId, ConvVerdicts>>
  readonly saveVerdicts: (conv: ConvId, v: ConvVerdicts) => Promise<void>
}

/** Segments read from storage in one pass, and segments dropped in one pass ([M71]: bounded work). */
export const READS_PER_PASS = 4
export const DROPS_PER_PASS = 8

/** One pass's reads: what each segment held, and the storage reads left. */
interface Pass { readonly now: number; reads: number; drops: number; judged: number; readonly seen: Map<DocId, SegmentEntries | null> }

/**
 * [M71] Drops, on this device, segments that hold only expired entries: run after every expiry
 * sweep, oldest segments first, with at most READS_PER_PASS storage reads and DROPS_PER_PASS drops
 * a pass. A segment judged and kept is not read again before the time its verdict names, unless
 * it changes (`changed`) or the organisation's maximum changes; verdicts are kept across starts.
 */
export class Pruner {
  /** Per conversation: when to judge each kept segment again (Infinity: once it changes). */
  private verdicts: Map<ConvId, ConvVerdicts> | undefined
  private readonly dirty = new Set<ConvId>()
  /** Segments that changed before the kept verdicts were read: those verdicts are void. */
  private readonly changedEarly = new Set<DocId>()
  /** Segments kept for a timer entry the writable segment did not hold yet. */
  private readonly heldByTimer = new Set<DocId>()
  private running: Promise<number> | undefined
  private again = false
  private stopped = false

  constructor(private readonly deps: PrunerDeps) {}

  /**
   * A segment changed: judge it again at the next pass, and the ones a timer entry kept (the
   * change may be the writable segment's copy of it).
   */
  changed(seg: DocId): void {
    this.forget(seg)
    for (const s of this.heldByTimer) this.forget(s)
    this.heldByTimer.clear()
  }

  private forget(seg: DocId): void {
    if (!this.verdicts) return void this.changedEarly.add(seg)
    for (const [conv, v] of this.verdicts) if (v.at.delete(seg)) this.dirty.add(conv)
  }

  /** No drop starts after this; settles once the pass under way is done (the Messenger stops, or wipes). */
  async stop(): Promise<void> {
    this.stopped = true
    await this.running?.catch(() => undefined)
  }

  /** One pass (one at a time; a call during one runs one more after it). Resolves with when to look again. */
  pass(): Promise<number> {
    if (this.stopped) return Promise.resolve(Infinity)
    if (this.running) {
      this.again = true
      return this.running
    }
    const run = (async () => {
      let next = Infinity
      do {
        this.again = false
        next = await this.passNow(this.deps.now())
      } while (this.again)
      return next
    })()
    this.running = run.finally(() => (this.running = undefined))
    return this.running
  }

  private async passNow(now: number): Promise<number> {
    if (!this.verdicts) {
      this.verdicts = await this.deps.loadVerdicts().catch(() => new Map<ConvId, ConvVerdicts>())
      for (const seg of this.changedEarly) this.forget(seg)
      this.changedEarly.clear()
    }
    const pass: Pass = { now, reads: READS_PER_PASS, drops: DROPS_PER_PASS, judged: 0, seen: new Map() }
    let next = Infinity
    for (const conv of this.deps.conversations()) {
      const more = await this.conversation(conv, this.verdictsOf(conv), pass)
      if (more) next = now // work left over: the next pass comes at once
    }
    for (const v of this.verdicts.values()) for (const at of v.at.values()) if (at > now) next = Math.min(next, at)
    for (const conv of [...this.dirty]) {
      this.dirty.delete(conv)
      const v = this.verdicts.get(conv)
      if (v) await this.deps.saveVerdicts(conv, v).catch(() => undefined)
    }
    return next
  }

  /** A conversation's verdicts, voided when the organisation's maximum is not the one they were made under. */
  private verdictsOf(conv: ConvId): ConvVerdicts {
    const orgMax = this.deps.orgMax(conv) ?? 0
    let v = this.verdicts!.get(conv)
    if (!v || v.orgMax !== orgMax) {
      this.verdicts!.set(conv, (v = { orgMax, at: new Map() }))
      this.dirty.add(conv)
    }
    return v
  }

  /** True when the pass ran out of reads or drops before it was done with `conv`. */
  private async conversation(conv: ConvId, verdicts: ConvVerdicts, pass: Pass): Promise<boolean> {
    const lookAgain = verdicts.at
    const keep = (seg: DocId, at: number) => {
      if (lookAgain.get(seg) !== at) this.dirty.add(conv)
      lookAgain.set(seg, at)
    }
    const writable = this.deps.writable(conv)
    if (!writable) return false
    const segs = this.deps.segmentsOf(conv)
    const ids = new Set(segs.map((s) => s.id))
    let newestTimerTs: number | undefined
    for (const s of segs) {
      if (s.id === writable || this.deps.isDropped(s.id) || !this.deps.caughtUp(conv, s.id)) continue
      if ((lookAgain.get(s.id) ?? -Infinity) > pass.now) continue
      if (pass.drops === 0 || this.stopped) return true
      const entries = await this.entries(s.id, pass)
      if (entries === 'budget') return true
      if (!entries) {
        keep(s.id, Infinity) // no data here: nothing to drop until something arrives
        continue
      }
      // The writable segment's timer entries, read only when a timer entry is to be judged.
      if (newestTimerTs === undefined && entries.timers.length > 0) {
        const newest = await this.entries(writable, pass)
        if (newest === 'budget') return true
        newestTimerTs = Math.max(-Infinity, ...(newest?.timers.map((t) => t.ts) ?? []))
      }
      const targets = new Map<string, TargetState>()
      for (const a of entries.actions) {
        const t = await this.target(conv, s.id, entries, a, ids, pass)
        if (t === 'budget') return true
        targets.set(a.id, t)
      }
      pass.judged++
      const verdict = judgeSegment(entries, { now: pass.now, orgMax: this.deps.orgMax(conv), target: (a) => targets.get(a.id) ?? 'unknown', newestTimerTs: newestTimerTs ?? -Infinity })
      if (verdict.drop) {
        pass.drops--
        if (lookAgain.delete(s.id)) this.dirty.add(conv)
        await this.deps.drop(conv, s.id)
      } else {
        keep(s.id, verdict.lookAgainAt)
        if (verdict.timerHeld) this.heldByTimer.add(s.id)
      }
    }
    return false
  }

  /** [M42][M46] The message a reaction or pin names, judged as [M67] does. */
  private async target(conv: ConvId, seg: DocId, own: SegmentEntries, a: ActionView, ids: ReadonlySet<DocId>, pass: Pass): Promise<TargetState | 'budget'> {
    const at = a.targetSeg ?? seg // an entry written before refs names a message of its own segment only
    if (this.deps.isDropped(at) || !ids.has(at)) return { expired: true }
    let entries: SegmentEntries | undefined = own
    if (at !== seg) {
      if (!this.deps.caughtUp(conv, at)) return 'unknown'
      const read = await this.entries(at, pass)
      // The first segment of a pass is always judged (so every pass gets somewhere): what it
      // cannot read is not known yet, and it is judged again a while later.
      if (read === 'budget') return pass.judged === 0 ? 'unknown' : read
      entries = read
    }
    const m = entries?.messages.find((x) => x.id === a.target)
    // Not there, in a segment that caught up: its author deleted it ([M68]: only once expired).
    if (!m) return a.targetSeg ? { expired: true } : { expired: false, at: Infinity }
    const exp = expiryOf(m, this.deps.orgMax(conv))
    return isExpired(exp, pass.now) ? { expired: true } : { expired: false, at: exp ?? Infinity }
  }

  private async entries(seg: DocId, pass: Pass): Promise<SegmentEntries | undefined | 'budget'> {
    const seen = pass.seen.get(seg)
    if (seen !== undefined) return seen ?? undefined
    let found = await this.deps.cached(seg)
    if (!found) {
      if (pass.reads === 0) return 'budget'
      pass.reads--
      found = await this.deps.stored(seg)
    }
    pass.seen.set(seg, found ?? null)
    return found
  }
}
