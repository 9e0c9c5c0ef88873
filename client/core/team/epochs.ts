import type { OpId } from './ops.js'

export interface Epoch {
  /** The epoch number written in envelope headers (random per rotation, unique per space). */
  readonly epoch: number
  readonly op: OpId
  /** Device signing keys (hex) the key was sealed to, sorted. */
  readonly recipients: readonly string[]
  /** Admin devices (hex, sorted) the space's admin secret was sealed to. */
  readonly admins: readonly string[]
  /** Sealed to a device that is no longer a member: never written under again ([T7]). */
  readonly tainted: boolean
}

export interface EpochView {
  /** Valid epochs in [T4] order (oldest first). */
  readonly epochs: readonly Epoch[]
  /** [T7] The epoch to write under, or undefined when none is safe (a healing rotation is due). */
  readonly current: Epoch | undefined
  /**
   * [T8] An admin should rotate: there is no epoch yet, the newest is tainted, or its recipients
   * or admins are not exactly today's member and admin devices (someone joined, left, or changed role).
   */
  readonly needsRotation: boolean
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

/** [T7][T8] What the valid rotations mean today, given the live member and admin devices. */
export function epochView(valid: readonly Omit<Epoch, 'tainted'>[], devices: readonly string[], admins: readonly string[]): EpochView {
  const live = new Set(devices)
  const epochs: Epoch[] = valid.map((e) => ({ ...e, tainted: e.recipients.some((d) => !live.has(d)) }))
  const newest = epochs[epochs.length - 1]
  // An untainted epoch was sealed only to devices that are still members: safe to write under.
  const current = [...epochs].reverse().find((e) => !e.tainted)
  const needsRotation = !newest || newest.tainted || !same(newest.recipients, devices) || !same(newest.admins, admins)
  return { epochs, current, needsRotation }
}
