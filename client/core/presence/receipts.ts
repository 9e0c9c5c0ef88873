import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { Emitter } from '../events.js'
import type { LocalStore } from '../storage/LocalStore.js'
import type { SignalChannel } from './channel.js'
import { advance, atOrBefore, newestOf, sameCursor, sameCursors, type Cursor, type Cursors } from './cursor.js'
import { loadOwn, loadPeers, saveOwn, savePeer } from './cursorStore.js'
import type { SignalPayload } from './payload.js'

/** A message as receipts see it (a DisplayMessage fits). */
export interface ListedMessage extends Cursor {
  readonly author: DeviceId
}

export interface ReceiptsDeps {
  readonly store: LocalStore
  readonly channel: Pick<SignalChannel, 'send' | 'canSend'>
  /** The loaded window's messages, in display order ([M13], [M14]). */
  readonly list: (conv: ConvId) => readonly ListedMessage[]
  /** Written by this device's person (this device or another of theirs). */
  readonly ownPerson: (conv: ConvId, device: DeviceId) => boolean
  /** The person of a device and their name; undefined: not known in this conversation. */
  readonly person: (conv: ConvId, device: DeviceId) => { user: string; name: string } | undefined
  /** [M58] Read cursors are sent and shown: the organisation's policy and the person's own setting. */
  readonly readReceipts: (conv: ConvId) => boolean
  readonly debounceMs?: number
}

export interface ReceiptsEvents extends Record<string, unknown> {
  /** Another device's cursors changed: who has received and read this conversation's messages. */
  receipts: { conv: ConvId }
  /** This device's own cursors changed; `read`: the read cursor did (what unread counts from). */
  own: { conv: ConvId; read: boolean }
  sent: { conv: ConvId }
}

/**
 * [M55][M56] Delivered and read cursors: this device's own (stored), and the last heard from
 * every other device (in memory, cached in the store). Changes of the own cursors go out as one
 * `receipt` signal per conversation, ~300 ms after the last change, only while connected; a join
 * sends them again with `ask`, and every device that hears an `ask` answers with its own.
 */
export class Receipts {
  readonly events = new Emitter<ReceiptsEvents>()
  private own = new Map<ConvId, Cursors>()
  private peers = new Map<ConvId, Map<DeviceId, Cursors>>()
  /** Conversations whose cursors are to be sent; true: with `ask`. */
  private readonly dirty = new Map<ConvId, boolean>()
  private readonly version = new Map<ConvId, { now: number; sent: number }>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false

  constructor(private readonly deps: ReceiptsDeps) {}

  async load(): Promise<void> {
    this.own = await loadOwn(this.deps.store)
    this.peers = await loadPeers(this.deps.store)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  cursors(conv: ConvId): Cursors {
    return this.own.get(conv) ?? {}
  }

  /** [M55] Messages from other people reached this device: the delivered cursor moves. */
  async received(conv: ConvId, messages: readonly ListedMessage[]): Promise<void> {
    const newest = newestOf(messages, this.fromOthers(conv))
    if (newest) await this.move(conv, { d: newest })
  }

  /** [M56] The person saw the conversation: read (and delivered) move to its newest message from others. */
  async markRead(conv: ConvId): Promise<void> {
    const newest = newestOf(this.deps.list(conv), this.fromOthers(conv))
    if (newest) await this.move(conv, { d: newest, r: newest })
  }

  /** Whether a message is from another person, asked once per author of a list (a catch-up's batch is hundreds of one author's). */
  private fromOthers(conv: ConvId): (m: ListedMessage) => boolean {
    const others = new Map<string, boolean>()
    return (m) => {
      let other = others.get(m.author)
      if (other === undefined) others.set(m.author, (other = !this.deps.ownPerson(conv, m.author)))
      return other
    }
  }

  private async move(conv: ConvId, to: Cursors): Promise<void> {
    const was = this.cursors(conv)
    const next = advance(was, to)
    // Stopped ([M30]: a wipe under way): nothing is written after the erase.
    if (this.stopped || sameCursors(was, next)) return
    this.own.set(conv, next)
    await saveOwn(this.deps.store, conv, next)
    this.events.emit('own', { conv, read: !sameCursor(was.r, next.r) })
    this.schedule(conv, false)
  }

  /** The connection joined `conv`: send this device's cursors and ask the others for theirs. */
  joined(conv: ConvId): void {
    void this.received(conv, this.deps.list(conv)).then(() => this.schedule(conv, true))
  }

  /** [M57] Another device's receipt (already opened and checked by the channel). */
  async heard(conv: ConvId, device: DeviceId, p: Extract<SignalPayload, { t: 'receipt' }>): Promise<void> {
    const was = this.peers.get(conv)?.get(device) ?? {}
    const next = advance(was, { ...(p.d ? { d: p.d } : {}), ...(p.r ? { r: p.r } : {}) })
    if (p.ask) this.schedule(conv, false, true)
    if (this.stopped || sameCursors(was, next)) return
    let map = this.peers.get(conv)
    if (!map) this.peers.set(conv, (map = new Map()))
    map.set(device, next)
    await savePeer(this.deps.store, conv, device, next)
    this.events.emit('receipts', { conv })
  }

  /**
   * [M56] Who has received and who has read one of this person's messages: people (a person has
   * read when any of their devices has), by name, this device's person left out. Read is empty
   * while read receipts are off ([M58]).
   */
  receipts(conv: ConvId, message: Cursor): { delivered: string[]; read: string[] } {
    const showRead = this.deps.readReceipts(conv)
    const delivered = new Map<string, string>()
    const read = new Map<string, string>()
    for (const [device, c] of this.peers.get(conv) ?? []) {
      if (this.deps.ownPerson(conv, device)) continue
      const who = this.deps.person(conv, device)
      if (!who) continue
      const hasRead = atOrBefore(message, c.r)
      if (showRead && hasRead) read.set(who.user, who.name)
      if (hasRead || atOrBefore(message, c.d)) delivered.set(who.user, who.name)
    }
    const names = (m: Map<string, string>) => [...m.values()].sort((a, b) => a.localeCompare(b))
    return { delivered: names(delivered), read: names(read) }
  }

  /** Settles true once this device's latest cursors of `conv` were sent, false after `timeoutMs`. */
  sentLatest(conv: ConvId, timeoutMs: number): Promise<boolean> {
    const done = () => {
      const v = this.version.get(conv)
      return !v || v.sent >= v.now
    }
    if (done()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => (off(), resolve(false)), timeoutMs)
      const off = this.events.on('sent', (e) => {
        if (e.conv !== conv || !done()) return
        clearTimeout(timer)
        off()
        resolve(true)
      })
    })
  }

  /**
   * Once the connection has joined `conv` (within `timeoutMs`), sends this device's cursors with
   * `ask`; settles whether it went. The answers arrive as `receipts` events.
   */
  async ask(conv: ConvId, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.deps.channel.canSend(conv)) {
      if (this.stopped || Date.now() > deadline) return false
      await new Promise((r) => setTimeout(r, 50))
    }
    this.schedule(conv, true)
    return this.sentLatest(conv, Math.max(0, deadline - Date.now()))
  }

  /** `answer`: a reply to an ask, which goes even when nothing changed. */
  private schedule(conv: ConvId, ask: boolean, answer = false): void {
    if (this.stopped) return
    this.dirty.set(conv, ask || (this.dirty.get(conv) ?? false))
    if (!answer) {
      const v = this.version.get(conv) ?? { now: 0, sent: 0 }
      this.version.set(conv, { now: v.now + 1, sent: v.sent })
    }
    this.timer ??= setTimeout(() => void this.flush(), this.deps.debounceMs ?? 300)
  }

  private async flush(): Promise<void> {
    this.timer = undefined
    for (const [conv, ask] of [...this.dirty]) {
      if (this.stopped) return
      this.dirty.delete(conv)
      const c = this.cursors(conv)
      const r = this.deps.readReceipts(conv) ? c.r : undefined
      const payload: SignalPayload = { t: 'receipt', ...(c.d ? { d: c.d } : {}), ...(r ? { r } : {}), ...(ask ? { ask: true as const } : {}) }
      const v = this.version.get(conv)
      const target = v?.now ?? 0
      const outcome = c.d || r || ask ? await this.deps.channel.send(conv, payload) : 'sent'
      // [M57] Paced: tried again shortly. Offline: dropped; the next join sends the cursors anyway.
      if (outcome === 'paced') {
        this.dirty.set(conv, ask || (this.dirty.get(conv) ?? false))
        continue
      }
      if (outcome === 'sent' && v) {
        v.sent = Math.max(v.sent, target)
        this.events.emit('sent', { conv })
      }
    }
    if (this.dirty.size && !this.stopped) this.timer ??= setTimeout(() => void this.flush(), 150)
  }
}
