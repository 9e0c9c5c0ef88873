import { bytesEqual, domainHash, generateDeviceKeys, generateRecoveryKey, deriveMailboxKey, recoveryKeyText, recoverySecrets, sealRecoveryBlob, sealRecoveryDevice, toHex } from '../../../crypto/index.js'
import type { Identity } from '../identity.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { encodeRecord } from '../storage/records.js'
import type { Team } from '../team/team.js'
import { recoveryContent } from './blob.js'
import { deleteRecovery, loadRecovery, loadSpent, markSpent, saveRecovery, type RecoveryRecord } from './record.js'
import { deleteBlob, putBlob, type Fetch } from './server.js'

export interface RecoveryStatus {
  /** Recovery is set up from this device. */
  readonly set: boolean
  readonly since?: number
  /** When the blob on the server was last brought up to date (0: not yet: offline since). */
  readonly uploaded?: number
  /** The recovery device (id as the app shows devices), to find it in a device list. */
  readonly device?: string
  /** The key made here was used to recover on another device (when this one learned it): make a new one. */
  readonly spent?: number
}

/**
 * [M32] Recovery, from the device that set it up: a recovery key shown once; a recovery device
 * (an ordinary device of the person, [T17]) added to each of the person's organisations and
 * conversations, whose private keys exist only sealed under the key; and the recovery blob on
 * the server, brought up to date after membership changes so that it holds every rotation box
 * sealed to the recovery device.
 */
export class Recovery {
  private record: RecoveryRecord | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<void> = Promise.resolve()

  constructor(private readonly deps: { store: LocalStore; identity: Identity; team: Team; syncUrl: string; fetch?: Fetch; onError?: (err: unknown) => void; wipes?: () => readonly { reason: string; time: number }[] }) {}

  private spent: number | undefined

  async load(): Promise<void> {
    this.record = await loadRecovery(this.deps.store)
    this.spent = this.record ? undefined : await loadSpent(this.deps.store)
    if (this.record) this.deps.team.core.spaces.recoveryDevice = toHex(this.record.sign)
    // What changed while the app was closed, or a write that failed offline, goes now.
    this.soon(5_000)
  }

  status(): RecoveryStatus {
    const r = this.record
    return r ? { set: true, since: r.at, uploaded: r.uploaded, device: toHex(r.sign) } : { set: false, ...(this.spent ? { spent: this.spent } : {}) }
  }

  /**
   * A new recovery key (returned as text, to show once): the recovery device is made, added
   * where this person is, and the blob written; an earlier key's device is removed and its blob
   * deleted, so the earlier key opens nothing.
   */
  async create(): Promise<string> {
    const old = this.record
    const key = generateRecoveryKey()
    const secrets = recoverySecrets(key)
    const device = generateDeviceKeys()
    const sealedDevice = sealRecoveryDevice(secrets, encodeRecord({ signSecret: device.signSecret, boxSecret: device.boxSecret }))
    // An earlier key's blob is deleted; until the server confirms it, its address and write secret stay here.
    const retired = [...(old?.retired ?? []), ...(old ? [{ addr: old.addr, write: old.write }] : [])].slice(-16)
    const record: RecoveryRecord = { addr: secrets.addr, write: secrets.write, blob: secrets.blob, sealedDevice, sign: device.signPublic, box: device.boxPublic, mailbox: deriveMailboxKey(device.signSecret).address, at: Date.now(), uploaded: 0, retired }
    device.signSecret.fill(0)
    device.boxSecret.fill(0)
    const text = recoveryKeyText(key)
    key.fill(0)
    await saveRecovery(this.deps.store, record)
    this.record = record
    this.deps.team.core.spaces.recoveryDevice = toHex(record.sign)
    this.spent = undefined
    if (old) await this.deps.team.removeRecoveryDevice(old.sign).catch((err: unknown) => this.deps.onError?.(err))
    await this.maintain().catch((err: unknown) => this.deps.onError?.(err))
    return text
  }

  /**
   * After a membership change (debounced, with jitter so that the devices of an office behind one
   * address do not all write at once): add the recovery device where it is missing, rewrite the
   * blob. A failure (offline, the server busy or rate-limiting) is tried again later, backing off
   * up to half an hour.
   */
  soon(delayMs = 2_000): void {
    if (!this.record) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.maintain().then(
        () => (this.failures = 0),
        (err: unknown) => {
          this.deps.onError?.(err)
          this.failures++
          this.soon(Math.min(30 * 60_000, 15_000 * 2 ** Math.min(this.failures, 7)))
        },
      )
    }, delayMs + Math.floor(Math.random() * delayMs))
  }

  private failures = 0

  /** [M32] Stops keeping recovery from this device (it was removed as lost): the record goes, the blob stays as it was. */
  async forget(): Promise<void> {
    this.stop()
    this.record = undefined
    this.deps.team.core.spaces.recoveryDevice = undefined
    await deleteRecovery(this.deps.store)
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
  }

  /** Adds the recovery device where it is missing and writes the blob (one at a time). */
  maintain(): Promise<void> {
    const next = this.running.then(() => this.maintainNow())
    this.running = next.catch(() => undefined)
    return next
  }

  private async maintainNow(): Promise<void> {
    const r = this.record
    if (!r) return
    // This device was removed as lost (or by an admin) since recovery was set up here: it stops.
    if (this.deps.wipes?.().some((w) => w.reason === 'device-removed' && w.time >= r.at)) return this.forget()
    const team = this.deps.team
    await team.addRecoveryDevice({ sign: r.sign, box: r.box, mailbox: r.mailbox })
    const orgs = team.orgs().map((o) => o.org)
    const content = await recoveryContent(team.core.spaces, this.deps.identity.name, r.sealedDevice, orgs)
    const digest = domainHash('fieldchat/v1/recovery/content', content)
    // Nothing changed since the last write (an app start, a change elsewhere): nothing to send.
    if (r.uploaded > 0 && r.digest && bytesEqual(r.digest, digest) && !r.retired?.length) return
    // The first write creates the blob; a refresh only replaces one: gone means a restore spent the key.
    const written = await putBlob(this.fetch, this.deps.syncUrl, r.addr, r.write, sealRecoveryBlob(r, content), r.uploaded > 0)
    if (written === 'gone') {
      this.stop()
      this.record = undefined
      this.spent = Date.now()
      this.deps.team.core.spaces.recoveryDevice = undefined
      return markSpent(this.deps.store, this.spent)
    }
    this.record = { ...r, uploaded: Date.now(), digest }
    await saveRecovery(this.deps.store, this.record)
    for (const old of r.retired ?? []) {
      await deleteBlob(this.fetch, this.deps.syncUrl, old.addr, old.write)
      this.record = { ...this.record, retired: (this.record.retired ?? []).filter((x) => x !== old) }
      await saveRecovery(this.deps.store, this.record)
    }
  }

  private get fetch(): Fetch {
    return this.deps.fetch ?? globalThis.fetch.bind(globalThis)
  }
}
