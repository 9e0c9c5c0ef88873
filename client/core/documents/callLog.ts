import * as A from '@automerge/automerge'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { newMessageId } from '../ids.js'
import { contentFreeDay } from '../prune/keepDay.js'
import { callLine, type CallEntryView, type CallRecord, type RingRecord } from './callEntry.js'
import type { MessageLogDeps } from './messageLogDeps.js'
import { addEntry } from './messageOps.js'
import { queuedChange } from './queuedChange.js'

/** [V7] A call entry as the log shows it. */
export interface CallHistoryLine {
  readonly id: string
  readonly ts: number
  readonly author: DeviceId
  readonly video: boolean
  readonly dur: number
  /** Names of the devices that joined, the author left out. */
  readonly with: readonly string[]
  /** Nobody answered, or this person was not in it. */
  readonly missed: boolean
  readonly text: string
}

/** [V7] The conversation's call history: written by the device that started a call, read from the loaded window. */
export class CallLog {
  constructor(private readonly deps: MessageLogDeps, private readonly serial: <T>(run: () => Promise<T>) => Promise<T>) {}

  /** Writes the entry of a call this device started (`since`: when it started; `dur`: seconds; `joined`: devices that joined). */
  record(conv: ConvId, call: { since: number; video: boolean; dur: number; joined: readonly string[] }): Promise<void> {
    if (!this.deps.registry.get(conv)) return Promise.resolve()
    return this.serial(async () => {
      await this.deps.segs.idle()
      const seg = await this.deps.layout.writableSegment(conv)
      const entry: CallRecord = {
        id: new A.ImmutableString(newMessageId()),
        ts: call.since,
        kind: 'call',
        video: call.video,
        dur: Math.max(0, Math.min(86_400, Math.round(call.dur))),
        with: call.joined.slice(0, 64).map((d) => new A.ImmutableString(d)),
      }
      // Holds no message content: it does not keep its segment at the server for ever ([M71]).
      await queuedChange(this.deps, conv, seg, [addEntry(entry as never)], this.deps.clock.now(), contentFreeDay(this.deps.clock.wallNow()))
    })
  }

  /**
   * [V7] The ring of a call this device starts: written at once, so that a push can wake the
   * others' closed apps to ring ([M62]); resolves with the change's tag, or undefined (no such conversation).
   */
  ring(conv: ConvId, call: { since: number; video: boolean }): Promise<string | undefined> {
    if (!this.deps.registry.get(conv)) return Promise.resolve(undefined)
    return this.serial(async () => {
      await this.deps.segs.idle()
      const seg = await this.deps.layout.writableSegment(conv)
      const entry: RingRecord = { id: new A.ImmutableString(newMessageId()), ts: call.since, kind: 'ring', video: call.video }
      return queuedChange(this.deps, conv, seg, [addEntry(entry as never)], this.deps.clock.now(), contentFreeDay(this.deps.clock.wallNow()))
    })
  }

  /**
   * [V7][M62] Calls of others that may still be ringing: rings of the loaded window written less
   * than `ringMs` before `now` by another person's device, whose call entry (same author, same
   * start) is not there yet.
   */
  ringing(conv: ConvId, now: number, ringMs: number): { author: DeviceId; video: boolean; since: number }[] {
    const team = this.deps.team()
    const me = this.deps.identity.deviceId
    const myUser = team?.userOfDevice(conv, me)
    const entries = [...this.deps.segs.callEntries(conv)]
    const over = new Set(entries.filter((e) => !e.ring).map((e) => `${e.author}/${e.ts}`))
    return entries
      .filter((e) => e.ring && e.author !== me && !(myUser !== undefined && team?.userOfDevice(conv, e.author) === myUser) && e.ts > now - ringMs && e.ts <= now + 60_000 && !over.has(`${e.author}/${e.ts}`))
      .map((e) => ({ author: e.author, video: e.video, since: e.ts }))
  }

  /** The loaded window's call entries, oldest first, as this device's person reads them (rings left out). */
  lines(conv: ConvId): CallHistoryLine[] {
    const team = this.deps.team()
    const names = team?.deviceNames(conv) ?? new Map<DeviceId, string>()
    const me = this.deps.identity.deviceId
    const myUser = team?.userOfDevice(conv, me)
    const mineDevice = (d: DeviceId) => d === me || (myUser !== undefined && team?.userOfDevice(conv, d) === myUser)
    const nameOf = (d: DeviceId) => names.get(d) ?? `Device ${d.slice(0, 6)}`
    return [...this.deps.segs.callEntries(conv)]
      .filter((e) => !e.ring)
      .sort((a: CallEntryView, b: CallEntryView) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
      .map((e) => {
        const mine = mineDevice(e.author)
        const wasIn = e.with.some(mineDevice)
        const withNames = [...new Set(e.with.filter((d) => d !== e.author).map(nameOf))]
        return {
          id: e.id,
          ts: e.ts,
          author: e.author,
          video: e.video,
          dur: e.dur,
          with: withNames,
          missed: !e.dur || (!mine && !wasIn),
          text: callLine(e, { mine, wasIn, authorName: nameOf(e.author), names: withNames }),
        }
      })
  }
}
