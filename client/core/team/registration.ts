import type { ConvId } from '../../../protocol/index.js'
import type { SyncEngine } from '../sync/engine.js'
import type { Registry } from '../conversations/registry.js'
import type { Epoch } from './epochs.js'
import type { Spaces } from './spaces.js'

export interface RegistrationDeps {
  readonly spaces: Spaces
  readonly registry: Registry
  readonly engine: SyncEngine
  /** This device (hex signing key). */
  readonly me: string
}

/**
 * [T15][S10] Registering a space's rotations on the server: which device rekeys, from which
 * epoch, with which admin secrets, and what a conflict or a confirmation means.
 */
export class ServerRegistration {
  constructor(private readonly deps: RegistrationDeps) {}

  /**
   * [S10] This device registers the current epoch on the server only if it made that rotation
   * and the server is at an epoch that comes before it in the graph's order (or has not been
   * seen yet). A device catching up never rekeys; the server refuses a stale `from` anyway.
   */
  shouldRekey(space: ConvId, current: Epoch | undefined, serverEpoch: number | undefined): boolean {
    const state = this.deps.spaces.state(space)
    if (!state || !current || this.deps.spaces.graph(space).get(current.op)?.author !== this.deps.me) return false
    return serverEpoch !== undefined && this.epochBefore(space, serverEpoch, current.epoch)
  }

  /** Epoch `a` comes before `b` in the space's order of rotations. */
  epochBefore(space: ConvId, a: number, b: number): boolean {
    const epochs = this.deps.spaces.state(space)?.epochs ?? []
    const at = epochs.findIndex((e) => e.epoch === a)
    return a !== b && at >= 0 && at < epochs.findIndex((e) => e.epoch === b)
  }

  /**
   * The server confirmed an epoch: when it is behind a rotation this device made (the rotation
   * happened before the first confirmation arrived), register the rotation now.
   */
  async onJoined(space: ConvId, serverEpoch: number): Promise<void> {
    const state = this.deps.spaces.state(space)
    if (!state || !this.shouldRekey(space, state.current, serverEpoch) || !this.adminSecretsFor(space, serverEpoch, state.current!.epoch)) return
    await this.deps.registry.update(space, (r) => ({ ...r, serverEpoch, rekeyPending: true }))
    await this.deps.engine.rejoin(space)
  }

  /** The admin secrets a rekey of the space needs: the server's epoch's (to sign) and the current one. */
  adminSecretsFor(space: ConvId, serverEpoch: number | undefined, epoch: number): { sign: Uint8Array; next: Uint8Array } | undefined {
    const { adminSecrets } = this.deps.spaces.keysOf(space)
    const next = adminSecrets.get(epoch)
    const sign = serverEpoch === undefined ? next : adminSecrets.get(serverEpoch)
    return sign && next ? { sign, next } : undefined
  }

  /**
   * [S10] The server is at another epoch than this device rotated from. If that epoch is older
   * (in the graph's order) than the current one, rotate the server from it; if it is newer or
   * unknown, this device is behind: drop the rekey and wait for the bundle that moves it on.
   */
  async onRekeyConflict(space: ConvId, serverEpoch: number): Promise<void> {
    const state = this.deps.spaces.state(space)
    if (!state) return
    const rekey = this.shouldRekey(space, state.current, serverEpoch) && !!this.adminSecretsFor(space, serverEpoch, state.current!.epoch)
    await this.deps.registry.update(space, (r) => ({ ...r, serverEpoch, rekeyPending: rekey }))
    await this.deps.engine.rejoin(space)
  }
}
