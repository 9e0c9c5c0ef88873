import type { ConvId, PushRegister, PushUnregister, Wake } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import type { ConnectionState } from '../sync/engineEvents.js'
import { wakeFrames } from './decoys.js'
import { loadPushRecord, savePushRecord, type PushRecord } from './record.js'
import { newPushSecret, pushTokenOf } from './token.js'

/** What the push part needs of the engine and the team: narrow, so it reaches through neither. */
export interface PushDeps {
  readonly store: LocalStore
  /** Sends a push frame on the authenticated connection; false when there is none (sent again at the next welcome). */
  readonly send: (msg: PushRegister | PushUnregister | Wake) => boolean
  /** [M63] Publishes (or withdraws) this device's token in its organisations' directories. */
  readonly publish: (token: Uint8Array | undefined) => Promise<void>
  /** Tokens of the conversation's other people's live devices, from the directory. */
  readonly tokensOf: (conv: ConvId) => Uint8Array[]
}

/** A browser's Web Push subscription, as `PushSubscription.toJSON()` gives it, decoded. */
export interface BrowserSubscription {
  readonly endpoint: string
  readonly p256dh: Uint8Array
  readonly auth: Uint8Array
}

/** [M64] A conversation is woken at most once in this time; later messages ride on the first wake's sync. */
export const WAKE_EVERY_MS = 5_000

/**
 * [M62]–[M64] Web Push for this device: registration (the secret stays here, the token goes to
 * the directory), registering again at every welcome, and waking the other members' devices
 * once a message of this device is acknowledged.
 *
 * Invariant 1: only the token leaves this device in team data; the secret goes only to the
 * server, in `push-register` / `push-unregister`.
 */
export class PushWakes {
  private record: PushRecord | undefined
  /** The message tags sent here and not yet acknowledged, with their conversation. */
  private readonly sentTags = new Map<string, ConvId>()
  private readonly lastWake = new Map<ConvId, number>()
  private readonly due = new Set<ConvId>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private registeredHere = false

  constructor(private readonly deps: PushDeps) {}

  async load(): Promise<void> {
    this.record = await loadPushRecord(this.deps.store)
  }

  get enabled(): boolean {
    return !!this.record
  }

  /** [M62] Turns wake-ups on with this browser's subscription (again after it changed): registers, then publishes the token. */
  async enable(sub: BrowserSubscription): Promise<void> {
    const secret = this.record?.secret ?? newPushSecret()
    this.record = { secret, endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth }
    await savePushRecord(this.deps.store, this.record)
    this.registeredHere = false
    this.register()
    await this.deps.publish(pushTokenOf(secret))
  }

  /** [M62] Turns them off: the token is withdrawn from the directory and the subscription deleted on the server. */
  async disable(): Promise<void> {
    const rec = this.record
    if (!rec) return
    this.record = undefined
    await savePushRecord(this.deps.store, undefined)
    await this.deps.publish(undefined)
    this.deps.send({ type: 'push-unregister', secret: rec.secret })
  }

  /** The engine's connection state: at every new authenticated connection the subscription is registered again. */
  onState(state: ConnectionState): void {
    if (state === 'offline' || state === 'connecting') return void (this.registeredHere = false)
    if (!this.registeredHere) this.register()
  }

  private register(): void {
    const rec = this.record
    if (!rec) return
    this.registeredHere = this.deps.send({ type: 'push-register', secret: rec.secret, endpoint: rec.endpoint, p256dh: rec.p256dh, auth: rec.auth })
  }

  /** A message this device wrote is in the outbox. */
  sent(conv: ConvId, tag: string): void {
    this.sentTags.set(tag, conv)
  }

  /** [M64] Acknowledged by the server: its conversation's other devices are woken (once per WAKE_EVERY_MS). */
  delivered(tags: readonly string[]): void {
    for (const tag of tags) {
      const conv = this.sentTags.get(tag)
      if (!conv) continue
      this.sentTags.delete(tag)
      this.due.add(conv)
    }
    this.flush()
  }

  private flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const now = Date.now()
    let next = Infinity
    for (const conv of [...this.due]) {
      const wait = (this.lastWake.get(conv) ?? -Infinity) + WAKE_EVERY_MS - now
      if (wait > 0) {
        next = Math.min(next, wait)
        continue
      }
      this.due.delete(conv)
      const tokens = this.deps.tokensOf(conv)
      if (tokens.length === 0) continue
      this.lastWake.set(conv, now)
      for (const frame of wakeFrames(tokens)) this.deps.send({ type: 'wake', tokens: frame })
    }
    if (next < Infinity) this.timer = setTimeout(() => this.flush(), next)
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
