import type { ConvId, DeviceId, DocId } from '../../../protocol/index.js'
import type { ActionView } from './actions.js'
import type { DisplayMessage } from './displayMessage.js'
import type { MessageView } from './model.js'

/**
 * [M67] When a message disappears on this device (ms since 1970), or undefined: never. Its
 * author's `exp`, capped at `ts` + the organisation's maximum ([T21] `maxDisappearSeconds`): a
 * message without `exp`, or with one past the cap (a modified client), disappears at the cap.
 * The same on every device that holds the same document and policy.
 */
export function expiryOf(m: Pick<MessageView, 'ts' | 'exp'>, orgMaxSeconds: number | undefined): number | undefined {
  const cap = orgMaxSeconds ? m.ts + orgMaxSeconds * 1000 : undefined
  if (m.exp === undefined) return cap
  return cap === undefined ? m.exp : Math.min(m.exp, cap)
}

export const isExpired = (exp: number | undefined, now: number): boolean => exp !== undefined && exp <= now

/** The longest a timer waits before looking again (setTimeout's limit is 2^31 − 1 ms). */
const MAX_WAIT_MS = 2 ** 31 - 1

export interface ExpiryDeps {
  /** Conversations on this device. */
  readonly conversations: () => readonly ConvId[]
  /** Messages and action entries of a conversation's loaded window. */
  readonly views: (conv: ConvId) => Iterable<MessageView>
  readonly actions: (conv: ConvId) => Iterable<ActionView>
  readonly orgMax: (conv: ConvId) => number | undefined
  /** This device's wall clock ([M67]: not the hybrid clock, which a peer's fast clock can push ahead). */
  readonly now: () => number
  readonly me: DeviceId
  /** [M68] Deletes this device's own entries (by segment) from the documents. */
  readonly removeOwn: (conv: ConvId, bySegment: ReadonlyMap<DocId, readonly string[]>) => Promise<void>
  /** [M67] Tells the views: the messages that disappeared (as `deleted` placeholders), then `messages`. */
  readonly expired: (conv: ConvId, gone: DisplayMessage[]) => void
  /**
   * [M71] After each sweep: drops segments that hold only expired entries (prune/pruner.ts);
   * resolves with when it wants to look again (ms, Infinity: not by itself).
   */
  readonly prune?: () => Promise<number>
}

/**
 * [M67][M68] Makes messages disappear when their time comes: one timer for the next expiry of
 * the loaded windows; when it fires (or `sweep` is called: after a scan, on opening), messages
 * whose time has come are reported once, and this device deletes its own expired messages and its
 * reactions and pins on expired messages from the documents.
 */
export class Expiry {
  private timer: ReturnType<typeof setTimeout> | undefined
  /** When the armed timer fires (Infinity: none armed). */
  private armedAt = Infinity
  private readonly reported = new Set<string>()
  private readonly deleting = new Set<string>()
  private stopped = false

  constructor(private readonly deps: ExpiryDeps) {}

  /** Looks now: reports and deletes what has expired, then waits for the next expiry. */
  async sweep(): Promise<void> {
    if (this.stopped) return
    const now = this.deps.now()
    const work: Promise<void>[] = []
    let next = Infinity
    for (const conv of this.deps.conversations()) {
      const max = this.deps.orgMax(conv)
      const gone: DisplayMessage[] = []
      const expiredIds = new Set<string>()
      const expiredRefs = new Set<string>()
      const mine = new Map<DocId, string[]>()
      const own = (seg: DocId, id: string) => {
        const key = `${seg} ${id}`
        if (this.deleting.has(key)) return
        this.deleting.add(key)
        mine.set(seg, [...(mine.get(seg) ?? []), id])
      }
      for (const m of this.deps.views(conv)) {
        const exp = expiryOf(m, max)
        if (!isExpired(exp, now)) {
          if (exp !== undefined) next = Math.min(next, exp)
          continue
        }
        expiredIds.add(m.id)
        const key = `${m.segment} ${m.id}`
        expiredRefs.add(key)
        if (!this.reported.has(key)) {
          this.reported.add(key)
          gone.push({ id: m.id, ref: m.ref, tag: m.tag, segment: m.segment, author: m.author, ts: m.ts, text: '', deleted: true, exp: exp!, authorName: '', mine: m.author === this.deps.me, pending: false })
        }
        if (m.author === this.deps.me) own(m.segment, m.id)
      }
      // [M68] This device's reactions and pins on expired messages go with them. An object id is
      // unique within its segment only ([M15]): an entry naming its target's segment is matched
      // by both (a live message of another segment may share the id of an expired one).
      for (const a of this.deps.actions(conv)) {
        const expired = a.targetSeg ? expiredRefs.has(`${a.targetSeg} ${a.target}`) : expiredIds.has(a.target)
        if (a.author === this.deps.me && expired) own(a.segment, a.id)
      }
      if (gone.length) this.deps.expired(conv, gone)
      if (mine.size) work.push(this.deps.removeOwn(conv, mine).catch(() => undefined))
    }
    this.arm(next, now)
    await Promise.all(work)
    if (!this.deps.prune || this.stopped) return
    const at = await this.deps.prune().catch(() => Infinity)
    // Only sooner: another sweep may have armed the timer meanwhile, for its own next expiry.
    if (at < this.armedAt) this.arm(at, this.deps.now())
  }

  /**
   * After a scan: of the messages it found, only the new ones can expire before the timer armed
   * (an edit keeps its message's `exp`), so they alone are looked at; one that has expired
   * already (a late arrival) makes a full sweep. A sweep of every loaded window at every arrival
   * was 3–4% of a bot burst's writing and reading.
   */
  added(conv: ConvId, messages: readonly MessageView[]): void {
    if (this.stopped || !messages.length) return
    const max = this.deps.orgMax(conv)
    const now = this.deps.now()
    let next = Infinity
    for (const m of messages) {
      const exp = expiryOf(m, max)
      if (exp === undefined) continue
      if (isExpired(exp, now)) return void this.sweep()
      next = Math.min(next, exp)
    }
    if (next < this.armedAt) this.arm(next, now)
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(next: number, now: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.armedAt = Infinity
    if (this.stopped || next === Infinity) return
    this.armedAt = next
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.armedAt = Infinity
      void this.sweep()
    }, Math.min(Math.max(next - now, 0), MAX_WAIT_MS))
    // A pending expiry does not keep a process (the CLI) alive.
    ;(this.timer as { unref?: () => void }).unref?.()
  }
}
