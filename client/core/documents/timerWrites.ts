import * as A from '@automerge/automerge'
import type { ConvId, DeviceId, DocId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { newMessageId } from '../ids.js'
import type { Team } from '../team/team.js'
import type { MessageLogDeps } from './messageLogDeps.js'
import { addEntry, removeEntries } from './messageOps.js'
import type { SegmentDoc } from './model.js'
import { effectiveSeconds, isTimerSeconds, latestTimer, timerOrder, type TimerRecord, type TimerView } from './timer.js'
import { contentFreeDay, keepDay } from '../prune/keepDay.js'
import { queuedChange } from './queuedChange.js'

/** [T21] The organisation's longest life of a message (seconds) for a conversation; undefined: no limit. */
export function orgMaxOf(team: Team | undefined, conv: ConvId): number | undefined {
  const org = team?.orgOf(conv)
  return (org && team?.policy(org).maxDisappearSeconds) || undefined
}

/** [M65] A conversation's timer as the app shows it. */
export interface TimerState {
  /** The conversation's own timer (0: off). */
  readonly seconds: number
  /** [T21] The organisation's maximum, when it sets one. */
  readonly orgMax?: number
  /** What a message sent now gets (0: it stays). */
  readonly effective: number
  /** The entry that set it (none: never set). */
  readonly setBy?: DeviceId
  readonly setAt?: number
}

/**
 * [M65]–[M67] What disappearing messages write: a timer entry, a message's `exp`, the copy of the
 * timer a new segment carries, and the deletion of this device's own expired entries. Written in
 * turn with the sends (the MessageLog's `serial`), each a local change queued like a message.
 */
export class TimerWrites {
  constructor(private readonly deps: MessageLogDeps, private readonly serial: <T>(run: () => Promise<T>) => Promise<T>) {}

  /** [M65] The timer entry that holds in the loaded window (undefined: never set). */
  current(conv: ConvId): TimerView | undefined {
    return latestTimer(this.deps.segs.timers(conv))
  }

  /** [M65] The timer, in seconds, a message sent now gets: the conversation's capped by the policy's maximum. */
  effective(conv: ConvId): number {
    return effectiveSeconds(this.current(conv)?.seconds ?? 0, orgMaxOf(this.deps.team(), conv))
  }

  state(conv: ConvId): TimerState {
    const t = this.current(conv)
    const orgMax = orgMaxOf(this.deps.team(), conv)
    const seconds = t?.seconds ?? 0
    return { seconds, ...(orgMax ? { orgMax } : {}), effective: effectiveSeconds(seconds, orgMax), ...(t ? { setBy: t.author, setAt: t.ts } : {}) }
  }

  /** [M65] The timer changes of the loaded window in (ts, id) order, copies left out: the view's system lines. */
  changes(conv: ConvId): TimerView[] {
    return [...this.deps.segs.timers(conv)].filter((t) => !t.carry).sort(timerOrder)
  }

  /**
   * [M71] The "keep until" day of a change written now into one of the conversation's segments
   * (protocol [S56]): from the effective timer, 0 (forever) while it is off.
   */
  keepNow(conv: ConvId): number {
    return keepDay(this.deps.clock.wallNow(), this.effective(conv))
  }

  /** [M66] The `exp` of a message sent at `ts`, or undefined when the timer is off. */
  expOf(conv: ConvId, ts: number): number | undefined {
    const seconds = this.effective(conv)
    return seconds ? ts + seconds * 1000 : undefined
  }

  /** [M65] Sets the conversation's timer (any member; 0 turns it off); M560 for a value not offered. */
  set(conv: ConvId, seconds: number): Promise<void> {
    if (!isTimerSeconds(seconds)) return Promise.reject(new ClientError(ClientErrorCode.TIMER_INVALID, String(seconds)))
    if (!this.deps.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    return this.serial(async () => {
      await this.deps.segs.idle()
      const ts = this.deps.clock.now()
      const seg = await this.deps.layout.writableSegment(conv)
      const entry: TimerRecord = { id: new A.ImmutableString(newMessageId()), ts, kind: 'timer', seconds }
      // [M71] A timer entry holds no message: it never keeps its segment at the server for ever.
      await this.change(conv, seg, [addEntry(entry as never)], ts, contentFreeDay(this.deps.clock.wallNow()))
    })
  }

  /**
   * [M71] The timer that held lived in a segment that was dropped (the server answered 1206): a
   * copy of it (`carry`, the original's `ts`, no system line) goes into the writable segment,
   * so the conversation's timer stays what it was.
   */
  restore(conv: ConvId, t: TimerView): Promise<void> {
    return this.serial(async () => {
      const seg = await this.deps.layout.writableSegment(conv)
      if (this.deps.segs.timersIn(seg).some((x) => x.ts === t.ts && x.seconds === t.seconds)) return
      const copy: TimerRecord = { id: new A.ImmutableString(newMessageId()), ts: t.ts, kind: 'timer', seconds: t.seconds, carry: true }
      await this.change(conv, seg, [addEntry(copy as never)], this.deps.clock.now(), contentFreeDay(this.deps.clock.wallNow()))
    })
  }

  /**
   * [M66] The copy of the timer that holds, for the first write into a segment that has no timer
   * entry yet (a new segment): undefined when the segment has one, or the timer is off or unknown.
   */
  carryInto(conv: ConvId, seg: DocId): A.ChangeFn<SegmentDoc> | undefined {
    const t = this.current(conv)
    if (!t || !t.seconds || t.segment === seg || this.deps.segs.timersIn(seg).length) return undefined
    const copy: TimerRecord = { id: new A.ImmutableString(newMessageId()), ts: t.ts, kind: 'timer', seconds: t.seconds, carry: true }
    return addEntry(copy as never)
  }

  /** [M68] Deletes this device's own expired entries (messages, reactions, pins) from their segments. */
  removeOwn(conv: ConvId, bySegment: ReadonlyMap<DocId, readonly string[]>): Promise<void> {
    return this.serial(async () => {
      const ts = this.deps.clock.now()
      // [M71] Deleting expired entries adds nothing to keep: two days, never for ever.
      const keep = contentFreeDay(this.deps.clock.wallNow())
      for (const [seg, ids] of bySegment) if (ids.length && !this.deps.segs.isDropped(seg)) await this.change(conv, seg, [removeEntries(ids)], ts, keep)
    })
  }

  private async change(conv: ConvId, seg: DocId, fns: A.ChangeFn<SegmentDoc>[], ts: number, keep: number): Promise<void> {
    await queuedChange(this.deps, conv, seg, fns, ts, keep)
  }
}
