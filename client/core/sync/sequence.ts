import type { Delivery } from '../../../protocol/index.js'

/** [M33] Live items held above a hole, at most: beyond either bound the hole is a gap at once. */
export const HELD_ITEMS_MAX = 1024
export const HELD_BYTES_MAX = 16 * 1024 * 1024

interface Stream {
  /** Subscribes sent whose `caught-up` has not come: live frames before it are an older subscription's. */
  owed: number
  /** A gap was found: live frames are dropped until the document is subscribed again. */
  suspended: boolean
  /**
   * Every sseq up to here was received on this connection, is this device's own, or was left out
   * of a backlog (pruned, [S9]). Undefined until the first `caught-up`.
   */
  last: number | undefined
  /** This device's acknowledged sseqs above `last`: the server never sends a pusher its own envelopes ([S5]). */
  readonly own: Set<number>
  /** Live items above a hole, by sseq. */
  readonly held: Map<number, Uint8Array>
  heldBytes: number
  /** When the current hole was first seen (engine clock). */
  holeSince: number | undefined
}

export type LiveOutcome =
  /** Not subscribed, or an older subscription's frame: what it carries comes again in a backlog. */
  | { readonly kind: 'drop' }
  /** Items to apply now, in sseq order with no hole below them (maybe none); `clean`: the frame needed no holding. */
  | { readonly kind: 'apply'; readonly items: Delivery[]; readonly clean: boolean }
  /** More is held above a hole than the bounds allow. */
  | { readonly kind: 'gap' }

/**
 * [M33] The server's sequence of each subscribed document as this connection received it. sseq
 * is per document and every append takes last + 1 (ChangeStore invariant 4), and live frames
 * carry what follows the subscription's cursor in order, so a live item above `last + 1` means
 * something between was lost — or is late: this device's own envelope whose ack has not come, or
 * a frame a hop reordered. Such items are held, not applied, until the hole fills or the engine
 * gives up on it (a gap); so a cursor never passes an sseq that did not arrive. Backlog frames are
 * not checked: pruned envelopes leave holes there that snapshots cover ([S9]).
 * Keys are `conv + doc`, as in the engine.
 */
export class Sequences {
  private readonly streams = new Map<string, Stream>()

  /** A subscribe for `key` was sent. Anything held belonged to an older subscription: its backlog brings it. */
  subscribed(key: string): void {
    const s = this.streams.get(key) ?? this.fresh(key)
    s.owed++
    s.suspended = false
    this.dropHeld(s)
  }

  /**
   * `caught-up` arrived: returns whether every subscribe sent for `key` is now caught up, and the
   * held items that the new `last` lets through.
   */
  caughtUp(key: string, cursor: number): { done: boolean; items: Delivery[] } {
    const s = this.streams.get(key)
    if (!s) return { done: true, items: [] }
    s.owed = Math.max(0, s.owed - 1)
    if (s.owed > 0) return { done: false, items: [] }
    s.last = Math.max(s.last ?? 0, cursor)
    return { done: true, items: this.drain(s) }
  }

  /** The server acknowledged this device's envelope at `sseq` of `key`'s document. */
  own(key: string, sseq: number): void {
    const s = this.streams.get(key)
    if (!s || (s.last !== undefined && sseq <= s.last) || s.own.size >= HELD_ITEMS_MAX) return
    s.own.add(sseq)
  }

  /** A live frame of `key`'s document: what may be applied now. */
  live(key: string, items: readonly Delivery[], now: number): LiveOutcome {
    const s = this.streams.get(key)
    if (!s || s.owed > 0 || s.suspended || s.last === undefined) return { kind: 'drop' }
    // The usual case: nothing held, and the frame continues the sequence.
    if (s.held.size === 0 && this.continues(s, items)) {
      for (const item of items) {
        this.skipOwn(s)
        s.last = item.sseq
      }
      this.skipOwn(s)
      return { kind: 'apply', items: [...items], clean: true }
    }
    for (const item of items) {
      // Duplicates (a hop that repeats frames) were applied already.
      if (item.sseq <= s.last || s.held.has(item.sseq)) continue
      s.held.set(item.sseq, item.env)
      s.heldBytes += item.env.length
    }
    const ready = this.drain(s)
    if (s.held.size > 0) s.holeSince ??= now
    if (s.held.size > HELD_ITEMS_MAX || s.heldBytes > HELD_BYTES_MAX) return { kind: 'gap' }
    return { kind: 'apply', items: ready, clean: false }
  }

  /** Held items that this device's acks let through since (for every document). */
  released(): { key: string; items: Delivery[] }[] {
    const out: { key: string; items: Delivery[] }[] = []
    for (const [key, s] of this.streams) {
      if (s.held.size === 0 || s.owed > 0 || s.suspended) continue
      const items = this.drain(s)
      if (items.length) out.push({ key, items })
    }
    return out
  }

  /** Documents whose hole has been open since `before` or earlier. */
  overdue(before: number): string[] {
    return [...this.streams].filter(([, s]) => s.holeSince !== undefined && s.holeSince <= before).map(([key]) => key)
  }

  /** The earliest time a hole was first seen, if any is open. */
  oldestHole(): number | undefined {
    let oldest: number | undefined
    for (const s of this.streams.values()) if (s.holeSince !== undefined && (oldest === undefined || s.holeSince < oldest)) oldest = s.holeSince
    return oldest
  }

  /** A gap in `key`'s document: drop what is held and every live frame until it is subscribed again. */
  suspend(key: string): void {
    const s = this.streams.get(key)
    if (!s) return
    s.suspended = true
    this.dropHeld(s)
  }

  /** Subscriptions of these keys ended (a rejoin subscribes again from the saved cursor). */
  forget(match: (key: string) => boolean): void {
    for (const key of [...this.streams.keys()]) if (match(key)) this.streams.delete(key)
  }

  /** The connection ended: nothing of its sequence carries over. */
  clear(): void {
    this.streams.clear()
  }

  private fresh(key: string): Stream {
    const s: Stream = { owed: 0, suspended: false, last: undefined, own: new Set(), held: new Map(), heldBytes: 0, holeSince: undefined }
    this.streams.set(key, s)
    return s
  }

  private continues(s: Stream, items: readonly Delivery[]): boolean {
    let expect = s.last!
    for (const item of items) {
      expect++
      while (s.own.has(expect)) expect++
      if (item.sseq !== expect) return false
    }
    return true
  }

  private skipOwn(s: Stream): void {
    while (s.own.delete(s.last! + 1)) s.last!++
  }

  /** Takes the held items that now follow `last` without a hole; forgets what fell below it. */
  private drain(s: Stream): Delivery[] {
    const out: Delivery[] = []
    for (;;) {
      this.skipOwn(s)
      const env = s.held.get(s.last! + 1)
      if (!env) break
      s.held.delete(s.last! + 1)
      s.heldBytes -= env.length
      out.push({ sseq: ++s.last!, env })
    }
    for (const sseq of s.own) if (sseq <= s.last!) s.own.delete(sseq)
    for (const [sseq, env] of s.held) {
      if (sseq > s.last!) continue
      s.held.delete(sseq)
      s.heldBytes -= env.length
    }
    if (s.held.size === 0) s.holeSince = undefined
    return out
  }

  private dropHeld(s: Stream): void {
    s.held.clear()
    s.heldBytes = 0
    s.holeSince = undefined
  }
}
