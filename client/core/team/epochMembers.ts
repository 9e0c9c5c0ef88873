import { toHex } from '../../../crypto/index.js'
import type { OpGraph } from './graph.js'
import type { GroupState } from './group.js'
import type { OpId } from './ops.js'
import type { OrgState } from './org.js'

/**
 * [M26] Who was a member device of each epoch, as the graph this device holds says now: the
 * rotation's recipients, less a device whose removal (in the same graph) is concurrent with the
 * rotation — strong remove ([T5]) for what it wrote: a rotation that did not know of the removal
 * still sealed the key to it, but nothing it wrote under that epoch counts as a member's. A
 * removal that comes after the rotation leaves the device a member of that epoch (what it wrote
 * before being cut off stands; [T19] and [S12] close the window after).
 */
export class EpochMembers {
  private readonly cache = new WeakMap<OrgState | GroupState, Map<number, { op: OpId; members: ReadonlySet<string> }>>()
  private readonly removed = new WeakMap<OrgState | GroupState, ReadonlyMap<string, readonly OpId[]>>()

  /** [M26] A recipient of the epoch's rotation (what the receiver requires to apply an envelope). */
  recipient(state: OrgState | GroupState, epoch: number, device: string): boolean {
    return !!this.epochs(state).get(epoch)?.members.has(device)
  }

  /** `bindings`: the organisation's device → person, for removals of a person. */
  member(state: OrgState | GroupState, graph: OpGraph, bindings: ReadonlyMap<string, string>, epoch: number, device: string): boolean | undefined {
    const e = this.epochs(state).get(epoch)
    // An epoch the view does not hold (its rotation was voided by a merge) judges nobody: what
    // members wrote under it in good faith is not hidden.
    if (!e) return undefined
    if (!e.members.has(device)) return false
    let removals = this.removed.get(state)
    if (!removals) this.removed.set(state, (removals = removalsIn(graph, state.ignored, bindings)))
    // Concurrent with the rotation: neither in its past (the device was added again after it)
    // nor after it.
    return (removals.get(device) ?? []).every((r) => graph.ancestors(r).has(e.op) || graph.ancestors(e.op).has(r))
  }

  private epochs(state: OrgState | GroupState): Map<number, { op: OpId; members: ReadonlySet<string> }> {
    let map = this.cache.get(state)
    if (!map) {
      map = new Map(state.epochs.map((e) => [e.epoch, { op: e.op, members: new Set(e.recipients) }]))
      this.cache.set(state, map)
    }
    return map
  }
}

/**
 * The ops (valid ones) that removed each device and still stand: in an organisation a
 * `remove-device` of it or a `remove-user` of its person; in a group a `remove` of its person
 * (`bindings`: the organisation's device → person). A removal from a group that a later `add`
 * of that person (with the removal in its past) undid does not stand: the person is a member
 * again, and what they wrote under an epoch concurrent with the removal counts.
 */
export function removalsIn(graph: OpGraph, ignored: ReadonlySet<OpId>, bindings: ReadonlyMap<string, string>): Map<string, OpId[]> {
  const byUser = new Map<string, OpId[]>()
  const readded = new Map<string, OpId[]>()
  const out = new Map<string, OpId[]>()
  const add = <K>(map: Map<K, OpId[]>, key: K, id: OpId) => void (map.get(key) ?? map.set(key, []).get(key)!).push(id)
  for (const op of graph.order()) {
    if (ignored.has(op.id)) continue
    const b = op.body
    if (b.kind === 'remove-device') add(out, toHex(b.device), op.id)
    if (b.kind === 'remove-user' || b.kind === 'remove') add(byUser, b.user, op.id)
    // Only a group's `add` brings the same devices back; an organisation never re-admits a
    // removed device, so an `admit` of the same person undoes nothing for the old ones.
    if (b.kind === 'add') add(readded, b.user, op.id)
  }
  for (const [user, removals] of byUser) {
    const undone = (r: OpId) => (readded.get(user) ?? []).some((a) => graph.ancestors(a).has(r))
    byUser.set(user, removals.filter((r) => !undone(r)))
  }
  for (const [device, user] of bindings) for (const r of byUser.get(user) ?? []) add(out, device, r)
  return out
}
