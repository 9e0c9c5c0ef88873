import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { compareCursor, type Cursor } from './cursor.js'

/**
 * [M56] Unread: the messages from other people after this device's read cursor, counted over the
 * loaded window ([M13]: the newest segment, and the segments opened or written to since the
 * engine started). A conversation not loaded since the start counts from its saved newest view
 * (Presence.seedUnread, at most 50) until it is opened or a message arrives in it.
 */
export function unreadCount(messages: Iterable<Cursor & { readonly author: DeviceId }>, read: Cursor | undefined, ownPerson: (device: DeviceId) => boolean): number {
  // Any order (the window unsorted, as it is asked at every arrival).
  let n = 0
  for (const m of messages) if (counts(m, read, ownPerson)) n++
  return n
}

/** Whether a message counts as unread: after the read cursor, and not this person's own. */
const counts = (m: Cursor & { readonly author: DeviceId }, read: Cursor | undefined, ownPerson: (device: DeviceId) => boolean): boolean =>
  !(read && compareCursor(m, read) <= 0) && !ownPerson(m.author)

/**
 * [M56] The unread messages of one conversation as last counted (their ids), and the read cursor
 * they were counted against. Messages added since are counted on (`add`, each id once, so a
 * message the whole count already saw is not counted twice); a moved read cursor or any other
 * change makes a new tally over the whole window.
 */
export class UnreadTally {
  private constructor(
    private readonly ids: Set<string>,
    private readonly read: Cursor | undefined,
  ) {}

  static of(messages: Iterable<Cursor & { readonly author: DeviceId }>, read: Cursor | undefined, ownPerson: (device: DeviceId) => boolean): UnreadTally {
    const tally = new UnreadTally(new Set(), read)
    tally.add(messages, ownPerson)
    return tally
  }

  get size(): number {
    return this.ids.size
  }

  /** Whether this tally was counted against `read` (the same cursor, or none both times). */
  countedAgainst(read: Cursor | undefined): boolean {
    return this.read === read || (!!this.read && !!read && compareCursor(this.read, read) === 0)
  }

  add(messages: Iterable<Cursor & { readonly author: DeviceId }>, ownPerson: (device: DeviceId) => boolean): void {
    for (const m of messages) if (counts(m, this.read, ownPerson)) this.ids.add(m.id)
  }
}

/** `ownPerson` asked once per author: a count goes over many messages of few authors. */
export function oncePerAuthor(ownPerson: (device: DeviceId) => boolean): (device: DeviceId) => boolean {
  const own = new Map<DeviceId, boolean>()
  return (device) => {
    let mine = own.get(device)
    if (mine === undefined) own.set(device, (mine = ownPerson(device)))
    return mine
  }
}

/** Remembers the last count told per conversation, so `unread` is emitted only on a change. */
export class UnreadCounts {
  private readonly told = new Map<ConvId, number>()

  /** The new count when it differs from the one told last, else undefined. */
  changed(conv: ConvId, count: number): number | undefined {
    if ((this.told.get(conv) ?? 0) === count && this.told.has(conv)) return undefined
    this.told.set(conv, count)
    return count
  }

  /** The count told last for `conv`, if any. */
  last(conv: ConvId): number | undefined {
    return this.told.get(conv)
  }
}
