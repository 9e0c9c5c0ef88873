import type { ConvId } from '../../../protocol/index.js'
import type { Spaces } from './spaces.js'
import type { UserId } from './ops.js'

/**
 * [T22] The groups of `org` that this device adds the organisation's scanner to, and who that
 * is: when the policy names a scanner with a live device, this device is an admin device of the
 * organisation, and the organisation's graph has no gap, every group of it (created, no gap of
 * its own) that the scanner is not a member of — and, as for healing ([T8]), where this device
 * is a member, or no admin device is: a member admin's rotation carries the key chain, where an
 * admin outside the group would start a new generation ([T18]) beside it. Pure: what the graphs
 * resolve to, nothing else.
 */
export function groupsWithoutScanner(spaces: Spaces, org: ConvId): { scanner: UserId; groups: ConvId[] } | undefined {
  if (spaces.meta(org)?.kind !== 'org') return undefined
  const state = spaces.org(org)
  const scanner = state.policy.scanner
  const live = scanner !== undefined && [...(state.users.get(scanner)?.devices.keys() ?? [])].some((d) => !state.removedDevices.has(d))
  if (!scanner || !live || !state.adminDevices.includes(spaces.me) || spaces.graph(org).missing > 0) return undefined
  const groups = spaces.list().filter((g) => {
    const meta = spaces.meta(g)
    if (meta?.kind !== 'group' || meta.org !== org || spaces.graph(g).missing > 0) return false
    const group = spaces.group(g)
    if (!group?.name || !group.epochs.length || group.members.has(scanner)) return false
    return group.devices.includes(spaces.me) || !group.adminDevices.some((d) => group.devices.includes(d))
  })
  return groups.length ? { scanner, groups } : undefined
}

export interface ScannerSeatsDeps {
  readonly spaces: Spaces
  /** Queues team work (serialised with every other change, [T13]). */
  readonly run: (work: () => Promise<void>) => Promise<void>
  /** Signs `add` of `user` to `group` and rotates, as any admin's add does. */
  readonly add: (group: ConvId, user: UserId) => Promise<void>
  readonly problem: (detail: string) => void
}

/**
 * [T22] Adds the policy's scanner to the groups {@link groupsWithoutScanner} names, as team work
 * queued once per organisation at a time. Each group gets at most two tries per run of this
 * device, so an add that does not take (voided by a concurrent removal, [T5]) is not signed
 * again for ever. Another admin device doing the same at once is harmless: the second add
 * changes nothing ([T3]).
 */
export class ScannerSeats {
  private readonly queued = new Set<ConvId>()
  private readonly tries = new Map<ConvId, number>()

  constructor(private readonly deps: ScannerSeatsDeps) {}

  /** A space of `org` was applied: queue the work when there is some. */
  soon(org: ConvId): void {
    if (this.queued.has(org) || !groupsWithoutScanner(this.deps.spaces, org)) return
    this.queued.add(org)
    this.deps
      .run(async () => {
        this.queued.delete(org)
        const todo = groupsWithoutScanner(this.deps.spaces, org)
        for (const group of todo?.groups ?? []) {
          const n = this.tries.get(group) ?? 0
          if (n >= 2) continue
          this.tries.set(group, n + 1)
          await this.deps.add(group, todo!.scanner)
        }
      })
      .catch((err: unknown) => this.deps.problem(`adding the organisation scanner: ${String(err)}`))
  }
}
