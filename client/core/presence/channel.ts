import { SignalReplayGuard, createSigner, openSignal, sealSignal, toHex, type EpochKey, type Signer } from '../../../crypto/index.js'
import { deviceIdOf, idBytes, type ConvId, type DeviceId } from '../../../protocol/index.js'
import type { Registry } from '../conversations/registry.js'
import { ClientErrorCode } from '../errors.js'
import { Emitter } from '../events.js'
import type { Identity } from '../identity.js'
import { Pacer } from './pacer.js'
import { decodePayload, encodePayload, type SignalPayload } from './payload.js'

/** What the channel needs of the sync engine (client/core/sync/engine.ts): narrow, so tests can stand in. */
export interface SignalLink {
  signalEpoch(conv: ConvId): number | undefined
  sendSignal(conv: ConvId, epoch: number, body: Uint8Array): boolean
}

export interface ChannelDeps {
  readonly identity: Identity
  readonly registry: Registry
  readonly link: SignalLink
  /** [M26] Was `device` (hex) a member device of the epoch? false refuses the signal. */
  readonly memberOfEpoch: (conv: ConvId, epoch: number, device: string) => boolean | undefined
  readonly problem: (code: ClientErrorCode, detail: string) => void
}

export interface ChannelEvents extends Record<string, unknown> {
  signal: { conv: ConvId; device: DeviceId; payload: SignalPayload }
  /** A signal of `conv` failed verification (not a replay, not a key this device lacks): altered on the way, or forged. */
  tampered: { conv: ConvId; code: string }
}

/** Why a send did not go: offline / not joined (nothing is queued), or this device's own pace. */
export type SendOutcome = 'sent' | 'offline' | 'paced'

/**
 * [M57] Ephemeral signals of every conversation, sealed end to end (crypto [E14]) and relayed by
 * the server without being stored (protocol [S44]). Generic: receipts and typing use it, call
 * signalling will. Inbound signals are untrusted peer input: opened (authenticator, then the
 * device's signature), refused once seen or out of time, refused from a device that was not a
 * member of the epoch, parsed with zod; only then handed on.
 */
export class SignalChannel {
  readonly events = new Emitter<ChannelEvents>()
  private readonly signer: Signer
  private readonly guard = new SignalReplayGuard()
  private readonly pacer = new Pacer()
  private readonly me: string

  constructor(private readonly deps: ChannelDeps) {
    this.signer = createSigner(deps.identity.keys.signSecret)
    this.me = toHex(deps.identity.keys.signPublic)
  }

  /** Connected and joined at the server: a signal sent now would go. */
  canSend(conv: ConvId): boolean {
    return this.deps.link.signalEpoch(conv) !== undefined
  }

  /** Seals and sends now, or not at all: never queued ([M57]). */
  send(conv: ConvId, payload: SignalPayload): Promise<SendOutcome> {
    return this.sealAndSend(conv, payload, 0)
  }

  /**
   * Like `send`, but waits in line for this device's pace (up to `maxWaitMs`) instead of giving
   * up: for messages that must all go, in parts (call signalling, [V2]). `urgent` ones go first
   * (a call's heartbeat and keys before an SDP's parts).
   */
  sendSoon(conv: ConvId, payload: SignalPayload, maxWaitMs = 3_000, urgent = false): Promise<SendOutcome> {
    return this.sealAndSend(conv, payload, maxWaitMs, urgent)
  }

  private async sealAndSend(conv: ConvId, payload: SignalPayload, maxWaitMs: number, urgent = false): Promise<SendOutcome> {
    const joined = () => {
      const epoch = this.deps.link.signalEpoch(conv)
      const key = epoch === undefined ? undefined : this.deps.registry.get(conv)?.keys.get(epoch)
      return epoch === undefined || !key ? undefined : { epoch, key }
    }
    // Offline takes no token of the pace.
    if (!joined()) return 'offline'
    if (!(await this.pacer.acquire(maxWaitMs, urgent))) return 'paced'
    // Waiting may have seen a rotation or a disconnect: the epoch of now.
    const now = joined()
    if (!now) return 'offline'
    const body = await sealSignal(now.key, idBytes(conv), now.epoch, this.signer, encodePayload(payload))
    return this.deps.link.sendSignal(conv, now.epoch, body) ? 'sent' : 'offline'
  }

  /** A relayed body from the server. */
  async receive(conv: ConvId, body: Uint8Array): Promise<void> {
    const rec = this.deps.registry.get(conv)
    if (!rec) return
    const opened = await openSignal((epoch): EpochKey | undefined => rec.keys.get(epoch), idBytes(conv), body)
    // No key for its epoch: sealed before this device was admitted, or after it was removed. Not an attack.
    if (!opened.ok) {
      if (opened.code === 'C103_NO_KEY') return
      this.events.emit('tampered', { conv, code: opened.code })
      return this.refuse(opened.code)
    }
    const s = opened.value
    const hex = toHex(s.device)
    if (hex === this.me) return // a copy of this device's own signal (another instance's echo, a replay)
    const fresh = this.guard.check(s)
    if (!fresh.ok) return this.refuse(`${fresh.code} ${fresh.detail ?? ''}`.trim())
    if (this.deps.memberOfEpoch(conv, s.epoch, hex) === false) return this.refuse('not a member device of the epoch')
    const payload = decodePayload(s.payload)
    if (!payload) return this.refuse('payload')
    this.events.emit('signal', { conv, device: deviceIdOf(s.device), payload })
  }

  private refuse(detail: string): void {
    this.deps.problem(ClientErrorCode.SIGNAL_REJECTED, detail)
  }
}
