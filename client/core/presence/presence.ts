import * as z from 'zod'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import type { SignalChannel } from './channel.js'
import { Receipts, type ListedMessage } from './receipts.js'
import { Typing } from './typing.js'
import { UnreadCounts, UnreadTally, oncePerAuthor, unreadCount } from './unread.js'
import type { Cursor } from './cursor.js'
import type { MessageView } from '../documents/model.js'

export interface PresenceDeps {
  readonly store: LocalStore
  readonly channel: SignalChannel
  readonly conversations: () => ConvId[]
  readonly list: (conv: ConvId) => readonly ListedMessage[]
  /** [M56] The messages `list` shows that come after `after` (all when undefined), unsorted, but those of authors `skip` says: what unread counts. */
  readonly shownAfter: (conv: ConvId, after: Cursor | undefined, skip?: (author: DeviceId) => boolean) => Iterable<ListedMessage>
  /** [M56] The same test as `shownAfter`, over newly added messages only. */
  readonly shownAmong: (conv: ConvId, messages: readonly MessageView[], after: Cursor | undefined, skip?: (author: DeviceId) => boolean) => Iterable<ListedMessage>
  readonly ownPerson: (conv: ConvId, device: DeviceId) => boolean
  readonly person: (conv: ConvId, device: DeviceId) => { user: string; name: string } | undefined
  /** [M13] The conversation's window is loaded (its messages are what `shownAfter` lists). */
  readonly loaded: (conv: ConvId) => boolean
  /** [M58] The organisation's policy allows read receipts in this conversation. */
  readonly policyAllows: (conv: ConvId) => boolean
  readonly emit: {
    receipts: (conv: ConvId) => void
    typing: (conv: ConvId, names: string[]) => void
    unread: (conv: ConvId, count: number, total: number) => void
  }
  readonly debounceMs?: number
}

const settingSchema = z.object({ off: z.boolean() }).strict()

/**
 * [M55]–[M59] Receipts, typing and unread counts of every conversation, over one signal channel.
 * Made with the Messenger's parts ([M30]: made again after a wipe), stopped with them.
 */
export class Presence {
  readonly receipts: Receipts
  readonly typing: Typing
  private readonly counts = new UnreadCounts()
  private readonly recounting = new Set<ConvId>()
  /** [M56] Per conversation, the unread messages as last counted, and the read cursor they were counted against. */
  private readonly tallies = new Map<ConvId, UnreadTally>()
  /** Messages `added` since the last count, while nothing else changed (`recount(conv, true)`). */
  private readonly arrivals = new Map<ConvId, MessageView[]>()
  /** Conversations where something else changed since the last count: counted whole. */
  private readonly whole = new Set<ConvId>()
  /** [M56] The saved newest views' rows ([M13a]) of conversations whose window is not loaded. */
  private readonly saved = new Map<ConvId, readonly ListedMessage[]>()
  private stopped = false
  /** [M58] The person's own choice: no read receipts sent, none of others shown. */
  private ownOff = false

  constructor(private readonly deps: PresenceDeps) {
    const readReceipts = (conv: ConvId) => !this.ownOff && deps.policyAllows(conv)
    this.receipts = new Receipts({ store: deps.store, channel: deps.channel, list: deps.list, ownPerson: deps.ownPerson, person: deps.person, readReceipts, ...(deps.debounceMs !== undefined ? { debounceMs: deps.debounceMs } : {}) })
    this.typing = new Typing({ channel: deps.channel, person: deps.person, ownPerson: deps.ownPerson })
    deps.channel.events.on('signal', ({ conv, device, payload }) => {
      if (payload.t === 'receipt') void this.receipts.heard(conv, device, payload)
      else if (payload.t === 'typing') this.typing.heard(conv, device, payload.on)
    })
    this.receipts.events.on('receipts', ({ conv }) => deps.emit.receipts(conv))
    // Delivered moving (every arrival) changes no unread count: only read does.
    this.receipts.events.on('own', ({ conv, read }) => read && this.recount(conv))
    this.typing.events.on('typing', ({ conv, names }) => deps.emit.typing(conv, names))
  }

  async load(): Promise<void> {
    await this.receipts.load()
    const setting = await this.deps.store.get(['read-receipts'])
    this.ownOff = !!(setting && decodeRecord(setting, settingSchema)?.off)
  }

  stop(): void {
    this.stopped = true
    this.receipts.stop()
    this.typing.stop()
  }

  get readReceiptsOn(): boolean {
    return !this.ownOff
  }

  async setReadReceipts(on: boolean): Promise<void> {
    this.ownOff = !on
    await this.deps.store.write([{ key: ['read-receipts'], value: encodeRecord({ off: !on }) }])
  }

  readReceiptsShown(conv: ConvId): boolean {
    return !this.ownOff && this.deps.policyAllows(conv)
  }

  /**
   * New messages in a loaded segment: delivered moves, their authors stop typing, unread is
   * counted (on from the last count when the `messages` event after them says they were all that
   * changed, `recount(conv, true)`).
   */
  added(conv: ConvId, messages: readonly MessageView[]): void {
    void this.receipts.received(conv, messages)
    this.typing.wrote(conv, new Set(messages.map((m) => m.author)))
    const arrived = this.arrivals.get(conv)
    if (arrived) arrived.push(...messages)
    else this.arrivals.set(conv, [...messages])
    this.recount(conv, true)
  }

  /**
   * [M56] The unread messages of `conv`, counted over the whole window (or the saved newest view
   * while the window is not loaded), against the read cursor as it is now (another device of the
   * person may read meanwhile).
   */
  unread(conv: ConvId): number {
    const read = this.receipts.cursors(conv).r
    const rows = this.deps.loaded(conv) ? undefined : this.saved.get(conv)
    // This person's own messages never count: left out by the window before anything else is looked at.
    const ownPerson = oncePerAuthor((d) => this.deps.ownPerson(conv, d))
    return unreadCount(rows ?? this.deps.shownAfter(conv, read, ownPerson), read, ownPerson)
  }

  /**
   * [M56] The count after a turn: on from the last one when only messages were added since
   * (the window's other messages are as they were counted, against the same read cursor), else
   * whole. Counting the whole window at every arriving batch made a burst or a catch-up quadratic.
   */
  private count(conv: ConvId): number {
    const arrived = this.arrivals.get(conv)
    this.arrivals.delete(conv)
    const whole = this.whole.delete(conv)
    if (!this.deps.loaded(conv)) {
      // Counted from the saved view: nothing to count on from once the window counts.
      this.tallies.delete(conv)
      return this.unread(conv)
    }
    const tally = this.tallies.get(conv)
    const read = this.receipts.cursors(conv).r
    const ownPerson = oncePerAuthor((d) => this.deps.ownPerson(conv, d))
    if (tally && !whole && tally.countedAgainst(read)) {
      if (arrived) tally.add(this.deps.shownAmong(conv, arrived, read, ownPerson), ownPerson)
      return tally.size
    }
    const fresh = UnreadTally.of(this.deps.shownAfter(conv, read, ownPerson), read, ownPerson)
    this.tallies.set(conv, fresh)
    return fresh.size
  }

  /**
   * [M56] After a start, a conversation not loaded yet counts its unread messages from its saved
   * newest view (at most the 50 it holds) until its window loads: a restarted app shows the
   * counts it showed before, not 0.
   */
  seedUnread(conv: ConvId, rows: readonly ListedMessage[]): void {
    if (this.stopped || this.deps.loaded(conv)) return
    this.saved.set(conv, rows)
    this.recount(conv)
  }

  unreadTotal(): number {
    return this.deps.conversations().reduce((n, conv) => n + this.unread(conv), 0)
  }

  /**
   * Tells `unread` when the count of `conv` changed. Counted once per turn however often asked:
   * an arriving message asks through `added` and `messages` both. A microtask, so the event is out
   * before whatever awaited the change (`markRead`) goes on. `onlyAdded`: nothing shown before
   * changed, and what is shown anew `added` named (the `messages` event's `onlyAdded`); anything
   * else counts whole.
   */
  recount(conv: ConvId, onlyAdded = false): void {
    if (!onlyAdded) this.whole.add(conv)
    if (this.recounting.has(conv)) return
    this.recounting.add(conv)
    queueMicrotask(() => {
      this.recounting.delete(conv)
      if (this.stopped) return
      const count = this.counts.changed(conv, this.count(conv))
      if (count === undefined) return
      // The other conversations' counts as told last (each is told again whenever it changes):
      // counting every conversation's window again at every arrival made a catch-up quadratic.
      const total = this.deps.conversations().reduce((n, c) => n + (c === conv ? count : (this.counts.last(c) ?? this.unread(c))), 0)
      this.deps.emit.unread(conv, count, total)
    })
  }
}
