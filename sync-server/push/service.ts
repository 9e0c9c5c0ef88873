import { ErrorCode, type PushRegister, type PushUnregister, type Wake } from '../../protocol/index.js'
import { KeyedBuckets } from '../budgets.js'
import type { Logger } from '../log.js'
import { allowedEndpoint, type PushConfig } from './config.js'
import type { PushStore } from './PushStore.js'
import { sendWake, type SendOutcome } from './sender.js'
import { pushTokenOf } from './token.js'

export interface PushLimits {
  /** [S53] Subscriptions the server holds at most; a registration beyond is PUSH_FULL (1402). */
  readonly maxSubscriptions: number
  /** [S51] Tokens a device may name in wakes per second, and the burst (decoys count). */
  readonly wakeTokensPerSecond: number
  readonly wakeTokenBurst: number
  /** [S50] Registrations (and unregistrations) per device: one a minute, burst 10. */
  readonly registrationsPerMinute: number
  readonly registrationBurst: number
  /** [S52] Pushes in flight at once, and queued behind them; a wake beyond the queue is dropped. */
  readonly concurrentSends: number
  readonly maxQueued: number
}

export const defaultPushLimits: PushLimits = {
  maxSubscriptions: 100_000,
  // A message to a 64-device group with its decoys is 64 tokens: four a second, then a burst.
  wakeTokensPerSecond: 16,
  wakeTokenBurst: 512,
  registrationsPerMinute: 1,
  registrationBurst: 10,
  concurrentSends: 8,
  maxQueued: 10_000,
}

/**
 * [S50]–[S53] Web Push for one server process. The connection hands it the frames of an
 * authenticated device with the key of that device's budget; it stores token → subscription and
 * nothing else, and never records who woke whom: a wake is looked up, queued, sent and
 * forgotten. Its answers are coded refusals, or nothing.
 */
export class PushService {
  private readonly wakes: KeyedBuckets
  private readonly registrations: KeyedBuckets
  private readonly queue: Uint8Array[] = []
  private sending = 0
  private closed = false
  private idleWaiters: (() => void)[] = []

  constructor(
    private readonly config: PushConfig,
    private readonly store: PushStore,
    private readonly log: Logger,
    private readonly limits: PushLimits = defaultPushLimits,
    private readonly send: (config: PushConfig, sub: Parameters<typeof sendWake>[1]) => Promise<SendOutcome> = sendWake,
  ) {
    this.wakes = new KeyedBuckets(limits.wakeTokensPerSecond, limits.wakeTokenBurst)
    this.registrations = new KeyedBuckets(limits.registrationsPerMinute / 60, limits.registrationBurst)
  }

  get publicKey(): string {
    return this.config.publicKey
  }

  /** A refusal's code, or undefined when done (or, for a wake, queued). `budget`: the device's budget key. */
  async handle(msg: PushRegister | PushUnregister | Wake, budget: string): Promise<ErrorCode | undefined> {
    switch (msg.type) {
      case 'push-register': {
        if (!allowedEndpoint(msg.endpoint, this.config.services) || msg.p256dh[0] !== 4) return ErrorCode.PUSH_REFUSED
        if (this.registrations.take(budget) > 0) return ErrorCode.RATE_LIMITED
        const put = await this.store.put(pushTokenOf(msg.secret), { endpoint: msg.endpoint, p256dh: msg.p256dh, auth: msg.auth }, this.limits.maxSubscriptions)
        return put === 'full' ? ErrorCode.PUSH_FULL : undefined
      }
      case 'push-unregister':
        if (this.registrations.take(budget) > 0) return ErrorCode.RATE_LIMITED
        await this.store.delete(pushTokenOf(msg.secret))
        return undefined
      case 'wake': {
        // [S51] Over budget the whole wake is refused (nothing is queued), said as RATE_LIMITED.
        if (this.wakes.take(budget, msg.tokens.length) > 0) return ErrorCode.RATE_LIMITED
        for (const token of msg.tokens) {
          if (this.queue.length >= this.limits.maxQueued) {
            this.log.warn({ code: 'S152_PUSH_QUEUE_FULL' }, 'wake dropped: the push queue is full')
            break
          }
          this.queue.push(token)
        }
        this.pump()
        return undefined
      }
      default: {
        const never: never = msg
        return never
      }
    }
  }

  private pump(): void {
    while (!this.closed && this.sending < this.limits.concurrentSends && this.queue.length) {
      const token = this.queue.shift()!
      this.sending++
      void this.deliver(token).finally(() => {
        this.sending--
        this.pump()
        if (this.sending === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w()
      })
    }
  }

  /** [S51][S52] One token: unknown ones (decoys, withdrawn) are skipped; 404/410 deletes the subscription. */
  private async deliver(token: Uint8Array): Promise<void> {
    try {
      const sub = await this.store.get(token)
      if (!sub) return
      const outcome = await this.send(this.config, sub)
      if (outcome === 404 || outcome === 410) {
        await this.store.delete(token)
        this.log.info({ code: 'S151_PUSH_GONE', status: outcome }, 'push subscription gone: deleted')
      } else if (outcome === 'failed' || outcome >= 400) {
        this.log.warn({ code: 'S153_PUSH_FAILED', status: outcome }, 'push service refused a wake')
      }
    } catch (err) {
      this.log.error({ code: 'S153_PUSH_FAILED', err: (err as Error).name }, 'push delivery failed')
    }
  }

  /** Settles once nothing is queued or in flight (tests). */
  idle(): Promise<void> {
    if (this.sending === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  async close(): Promise<void> {
    this.closed = true
    this.queue.length = 0
    await this.store.close()
  }
}
