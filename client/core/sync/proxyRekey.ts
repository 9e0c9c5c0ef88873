import { deriveAdminCapability, rekeyProofBytes } from '../../../crypto/index.js'
import { ErrorCode, idBytes, type ClientMessage, type ConvId } from '../../../protocol/index.js'

/**
 * [T18] A rotation of the server's capability made for a space this device is not a member of
 * (an organisation admin outside a group): the device never holds the new epoch key, only the
 * capability derived from it, and the admin secrets that prove the rekey ([S10]). Sent on every
 * connection until the server answers; the server's answer never makes the device a reader.
 */
export interface ProxyRekey {
  readonly conv: ConvId
  readonly from: number
  readonly epoch: number
  /** The new epoch's capability public key ([K1]). */
  readonly cap: Uint8Array
  /** Admin secrets: `sign` for the epoch the server is at, `next` for the new one ([K4]). */
  readonly sign: Uint8Array
  readonly next: Uint8Array
}

export type ProxyOutcome = 'done' | 'conflict' | 'refused'

export class ProxyRekeys {
  private readonly pending = new Map<ConvId, ProxyRekey>()

  constructor(
    private readonly send: (msg: ClientMessage) => void,
    private readonly settled: (conv: ConvId, outcome: ProxyOutcome, epoch?: number) => void,
  ) {}

  has(conv: ConvId): boolean {
    return this.pending.has(conv)
  }

  /** Queues a rekey; sent now when `challenge` (an authenticated connection) is given. */
  async add(r: ProxyRekey, challenge: Uint8Array | undefined): Promise<void> {
    this.pending.set(r.conv, r)
    if (challenge) await this.sendOne(r, challenge)
  }

  async sendAll(challenge: Uint8Array): Promise<void> {
    for (const r of this.pending.values()) await this.sendOne(r, challenge)
  }

  private async sendOne(r: ProxyRekey, challenge: Uint8Array): Promise<void> {
    const id = idBytes(r.conv)
    const admin = deriveAdminCapability(r.next, id).publicKey
    const proof = await deriveAdminCapability(r.sign, id).signer.sign(rekeyProofBytes(challenge, id, r.epoch, r.cap, admin))
    this.send({ type: 'rekey', conv: id, from: r.from, epoch: r.epoch, cap: r.cap, admin, proof })
  }

  /** The server's answer about a conversation with a pending proxy rekey; false if none is pending. */
  answer(conv: ConvId, answer: { joined: number } | { code: number; epoch?: number }): boolean {
    const r = this.pending.get(conv)
    if (!r) return false
    if ('joined' in answer) {
      if (answer.joined !== r.epoch) return true
      this.pending.delete(conv)
      this.settled(conv, 'done')
    } else if (answer.code === ErrorCode.REKEY_CONFLICT) {
      this.pending.delete(conv)
      this.settled(conv, 'conflict', answer.epoch)
    } else if (answer.code === ErrorCode.CAPABILITY_REJECTED) {
      this.pending.delete(conv)
      this.settled(conv, 'refused')
    } else return false
    return true
  }
}
