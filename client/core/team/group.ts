import type { OpGraph } from './graph.js'
import type { Op, OpId, UserId } from './ops.js'
import { resolveOrg, type OrgState } from './org.js'
import { resolveWithVoiding, type VoidingRules } from './voiding.js'
import { epochView, type Epoch, type EpochView } from './epochs.js'

export type { Epoch } from './epochs.js'

export interface GroupState extends EpochView {
  readonly name: string
  readonly history: boolean
  readonly members: ReadonlyMap<UserId, { readonly admin: boolean }>
  /** Member devices now (hex signing keys, sorted): the recipients the next rotation must have. */
  readonly devices: readonly string[]
  /** Devices of group admins and organisation admins (sorted): who holds the admin secret. */
  readonly adminDevices: readonly string[]
  readonly ignored: ReadonlySet<OpId>
}

const ADMIN_ONLY = new Set(['add', 'remove', 'promote', 'demote', 'rename', 'set-history', 'rotate', 'link'])

/**
 * [T3]–[T8] A group's state from its graph and the organisation directory. Organisation admins
 * act as group admins; a user removed from the organisation is no longer a member of any group.
 */
export function resolveGroup(graph: OpGraph, org: OrgState, orgGraph?: OpGraph, membershipOnly = false): GroupState {
  const order = graph.order()
  const seniority = new Map<UserId, number>()
  order.forEach((op, i) => {
    const b = op.body
    const u = b.kind === 'create-group' ? b.user : b.kind === 'add' ? b.user : undefined
    if (u && !seniority.has(u)) seniority.set(u, i)
  })
  const rules: VoidingRules = {
    authorUser: (op) => org.bindings.get(op.author),
    target: (op) => (op.body.kind === 'remove' ? { kind: 'remove', user: op.body.user } : op.body.kind === 'demote' ? { kind: 'demote', user: op.body.user } : undefined),
    adds: (op) => (op.body.kind === 'add' ? op.body.user : undefined),
    adminOnly: (op) => ADMIN_ONLY.has(op.body.kind),
    // Organisation admins outrank every group member; then the order of joining the group.
    seniority: (u) => (org.users.get(u)?.admin ? -1_000_000 + (org.seniority.get(u) ?? 0) : (seniority.get(u) ?? Number.MAX_SAFE_INTEGER)),
  }
  return resolveWithVoiding(graph, rules, (voided) => evaluate(graph, order, voided, org, orgGraph, membershipOnly))
}

/** Member devices for a member map: the users' live devices in the directory, sorted. */
export function memberDevices(members: ReadonlyMap<UserId, unknown>, org: OrgState): string[] {
  const out: string[] = []
  for (const u of members.keys()) for (const d of org.users.get(u)?.devices.keys() ?? []) if (!org.removedDevices.has(d)) out.push(d)
  return out.sort()
}

/** Devices of the group's admins and of the organisation's admins, sorted. */
export function adminDevicesOf(members: ReadonlyMap<UserId, { admin: boolean }>, org: OrgState): string[] {
  const admins = new Set(org.adminDevices)
  for (const [u, m] of members) if (m.admin) for (const d of org.users.get(u)?.devices.keys() ?? []) if (!org.removedDevices.has(d)) admins.add(d)
  return [...admins].sort()
}

function evaluate(graph: OpGraph, order: readonly Op[], voided: ReadonlySet<OpId>, org: OrgState, orgGraph: OpGraph | undefined, membershipOnly: boolean) {
  let name = ''
  let history = true
  const members = new Map<UserId, { admin: boolean }>()
  const epochs: Omit<Epoch, 'tainted'>[] = []
  const rejected = new Set<OpId>()
  const ignored = new Set<OpId>(voided)
  order.forEach((op, i) => {
    if (voided.has(op.id)) return
    const b = op.body
    const user = org.bindings.get(op.author)
    // [T3] a device bound to a user; that user a live member, or an organisation admin.
    const orgAdmin = !!user && !!org.users.get(user)?.admin && !org.removedDevices.has(op.author)
    const member = !!user && members.has(user) && !org.removedDevices.has(op.author) && org.users.has(user)
    const admin = orgAdmin || (member && members.get(user!)!.admin)
    let ok = false
    switch (b.kind) {
      case 'create-group':
        ok = i === 0 && user === b.user && org.users.has(b.user)
        if (ok) {
          name = b.name
          history = b.history
          members.set(b.user, { admin: true })
        }
        break
      case 'add':
        ok = admin && org.users.has(b.user) && !members.has(b.user)
        if (ok) members.set(b.user, { admin: false })
        break
      case 'remove':
        ok = admin && members.has(b.user)
        if (ok) members.delete(b.user)
        break
      case 'promote':
      case 'demote':
        ok = admin && members.has(b.user)
        if (ok) members.get(b.user)!.admin = b.kind === 'promote'
        break
      case 'rename':
        ok = admin
        if (ok) name = b.name
        break
      case 'set-history':
        ok = admin
        if (ok) history = b.history
        break
      case 'link':
        if (membershipOnly) return
        // [T18] a member admin (it holds the keys) completes the chain of an earlier rotation.
        ok = member && admin && epochs.some((e) => e.epoch === b.epoch)
        break
      case 'rotate': {
        if (membershipOnly) return // membership never depends on rotations
        // [T6] from an admin, one box per member device of the author's causal past. The
        // recipients are not listed in the op: every device derives them, so they cannot differ.
        const at = devicesAt(graph, op.id, org, orgGraph, b.org as OpId[] | undefined)
        ok = !!at && admin && b.epoch > 0 && !epochs.some((e) => e.epoch === b.epoch) && b.boxes.count === at.devices.length && (b.admins === undefined || b.admins.boxes.count === at.admins.length)
        if (ok) epochs.push({ epoch: b.epoch, op: op.id, recipients: at!.devices, admins: b.admins ? at!.admins : [] })
        break
      }
      default:
        ok = false
    }
    if (!ok) {
      rejected.add(op.id)
      ignored.add(op.id)
    }
  })
  // A user removed from the organisation is out of every group.
  for (const u of [...members.keys()]) if (!org.users.has(u)) members.delete(u)
  const devices = memberDevices(members, org)
  const adminDevices = adminDevicesOf(members, org)
  const state: GroupState = { name, history, members, devices, adminDevices, ignored, ...epochView(epochs, devices, orgGraph ? adminDevices : []) }
  return { state, rejected }
}

/**
 * Member and admin devices in the causal past of `id` (what the author of that op could know),
 * with the organisation directory as of the org heads the op names. Undefined while those org
 * ops have not arrived.
 */
function devicesAt(graph: OpGraph, id: OpId, org: OrgState, orgGraph: OpGraph | undefined, orgHeads: readonly OpId[] | undefined) {
  let orgThen = org
  if (orgGraph && orgHeads) {
    const sub = orgGraph.upTo(orgHeads)
    if (!sub) return undefined
    orgThen = resolveOrg(sub, true)
  }
  const past = graph.past(id)
  if (past.size === 0) return { devices: [], admins: [] }
  const state = resolveGroup(past, orgThen, undefined, true)
  return { devices: [...state.devices], admins: adminDevicesOf(state.members, orgThen) }
}
