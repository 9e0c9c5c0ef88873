import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { Emitter } from '../events.js'
import type { SignalChannel } from './channel.js'

/** [M59] How often a typing person's device says so, and how long a receiver shows it at most. */
export const TYPING_EVERY_MS = 3_000
export const TYPING_SHOWN_MS = 6_000

export interface TypingDeps {
  readonly channel: Pick<SignalChannel, 'send' | 'canSend'>
  readonly person: (conv: ConvId, device: DeviceId) => { user: string; name: string } | undefined
  readonly ownPerson: (conv: ConvId, device: DeviceId) => boolean
  readonly now?: () => number
}

export interface TypingEvents extends Record<string, unknown> {
  typing: { conv: ConvId; names: string[] }
}

/**
 * [M59] Typing indicators: `setTyping` sends at most one `typing` signal per 3 s while the person
 * types, `stopTyping` (on send) one that it stopped; nothing is sent, queued or kept while the
 * socket is not open. A receiver shows a device as typing for 6 s after its last signal at most.
 */
export class Typing {
  readonly events = new Emitter<TypingEvents>()
  private readonly lastSent = new Map<ConvId, number>()
  /** conv → device → until when it is shown. */
  private readonly typers = new Map<ConvId, Map<DeviceId, number>>()
  private readonly timers = new Map<ConvId, ReturnType<typeof setTimeout>>()

  constructor(private readonly deps: TypingDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)()
  }

  /** Returns whether a signal went now. */
  async setTyping(conv: ConvId): Promise<boolean> {
    const last = this.lastSent.get(conv)
    if (last !== undefined && this.now() - last < TYPING_EVERY_MS) return false
    if (!this.deps.channel.canSend(conv)) return false
    const sent = (await this.deps.channel.send(conv, { t: 'typing', on: true })) === 'sent'
    if (sent) this.lastSent.set(conv, this.now())
    return sent
  }

  async stopTyping(conv: ConvId): Promise<boolean> {
    if (!this.lastSent.delete(conv)) return false
    return (await this.deps.channel.send(conv, { t: 'typing', on: false })) === 'sent'
  }

  heard(conv: ConvId, device: DeviceId, on: boolean): void {
    let map = this.typers.get(conv)
    if (!map) this.typers.set(conv, (map = new Map()))
    if (on) map.set(device, this.now() + TYPING_SHOWN_MS)
    else if (!map.delete(device)) return
    this.changed(conv)
  }

  /** A device's message arrived: it is no longer typing it. */
  wrote(conv: ConvId, devices: Iterable<DeviceId>): void {
    const map = this.typers.get(conv)
    let any = false
    for (const d of devices) any = !!map?.delete(d) || any
    if (any) this.changed(conv)
  }

  /** People typing in `conv` now (by name, each once, this device's person left out). */
  typing(conv: ConvId): string[] {
    const now = this.now()
    const names = new Map<string, string>()
    for (const [device, until] of this.typers.get(conv) ?? []) {
      if (until <= now || this.deps.ownPerson(conv, device)) continue
      const who = this.deps.person(conv, device)
      if (who) names.set(who.user, who.name)
    }
    return [...names.values()].sort((a, b) => a.localeCompare(b))
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
  }

  private changed(conv: ConvId): void {
    this.events.emit('typing', { conv, names: this.typing(conv) })
    // The next expiry tells again, so a UI that only listens still clears the indicator.
    clearTimeout(this.timers.get(conv))
    const map = this.typers.get(conv)
    const now = this.now()
    for (const [d, until] of map ?? []) if (until <= now) map!.delete(d)
    const next = Math.min(...(map?.values() ?? []))
    if (Number.isFinite(next)) this.timers.set(conv, setTimeout(() => this.changed(conv), Math.max(10, next - now + 5)))
    else this.timers.delete(conv)
  }
}
