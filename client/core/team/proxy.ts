import * as z from 'zod'
import { deriveCapability, type EpochKey } from '../../../crypto/index.js'
import { idBytes, type ConvId } from '../../../protocol/index.js'
import type { SyncEngine } from '../sync/engine.js'
import type { ProxyOutcome } from '../sync/proxyRekey.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

const recordSchema = z.object({
  from: z.number().int().nonnegative(),
  epoch: z.number().int().nonnegative(),
  cap: z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 32),
})
type PendingProxy = z.infer<typeof recordSchema>

export interface ProxyDeps {
  readonly store: LocalStore
  readonly engine: SyncEngine
  /** Admin secrets to rekey from `from` to `epoch` ([T15]); undefined when this device lacks one. */
  readonly secrets: (space: ConvId, from: number, epoch: number) => { sign: Uint8Array; next: Uint8Array } | undefined
  /** `a` comes before `b` in the space's epoch order (the server may rotate from `a` to `b`). */
  readonly before: (space: ConvId, a: number, b: number) => boolean
}

/**
 * [T18] Rotations this device made for groups it is not a member of (an organisation admin
 * acting on any group): registered on the server from the previous epoch with the capability
 * derived from the new key, which this device does not keep. Durable until the server answers,
 * so a rotation made offline is registered when the device reconnects.
 */
export class ProxyRotations {
  /** Spaces with a proxy rotation the server has not answered yet ([T19] holds removal notices). */
  private readonly waiting = new Set<ConvId>()

  constructor(private readonly deps: ProxyDeps) {}

  get pending(): number {
    return this.waiting.size
  }

  async load(): Promise<void> {
    for (const e of await this.deps.store.range(['team-rekey'])) {
      const rec = decodeRecord(e.value, recordSchema)
      if (rec) await this.submit(e.key[1] as ConvId, rec)
    }
  }

  register(space: ConvId, from: number, epoch: number, key: EpochKey): Promise<void> {
    return this.save(space, { from, epoch, cap: deriveCapability(key, idBytes(space), epoch).publicKey })
  }

  /** The server's answer: done, or a conflict (rekey again from the server's epoch if it comes first). */
  async settled(space: ConvId, outcome: ProxyOutcome, serverEpoch?: number): Promise<void> {
    const rec = decodeRecord((await this.deps.store.get(['team-rekey', space])) ?? new Uint8Array(), recordSchema)
    if (!rec) return void this.waiting.delete(space)
    if (outcome === 'conflict' && serverEpoch !== undefined && this.deps.before(space, serverEpoch, rec.epoch)) {
      return this.save(space, { ...rec, from: serverEpoch })
    }
    await this.forget(space)
  }

  private async forget(space: ConvId): Promise<void> {
    await this.deps.store.write([{ key: ['team-rekey', space], value: undefined }])
    this.waiting.delete(space)
  }

  private async save(space: ConvId, rec: PendingProxy): Promise<void> {
    await this.deps.store.write([{ key: ['team-rekey', space], value: encodeRecord(rec) }])
    this.waiting.add(space)
    await this.submit(space, rec)
  }

  private async submit(space: ConvId, rec: PendingProxy): Promise<void> {
    const secrets = this.deps.secrets(space, rec.from, rec.epoch)
    if (!secrets) return this.forget(space)
    this.waiting.add(space)
    await this.deps.engine.proxyRekey({ conv: space, from: rec.from, epoch: rec.epoch, cap: rec.cap, ...secrets })
  }
}
