import type { OpGraph } from './graph.js'
import type { Op, OpId, UserId } from './ops.js'
import { toHex } from '../../../crypto/index.js'
import { resolveWithVoiding, type VoidingRules } from './voiding.js'
import { epochView, type Epoch, type EpochView } from './epochs.js'

/** The organisation directory: who is in, with which devices, and who is admin. */
export interface OrgUser {
  readonly name: string
  readonly admin: boolean
  /** Device signing key (hex) → box public key. */
  readonly devices: ReadonlyMap<string, Uint8Array>
}

export interface Invite {
  readonly key: Uint8Array
  readonly expires: number
  readonly by: UserId
  readonly used: boolean
  readonly revoked: boolean
  /** [T17] A device-link invitation: only a device of this person may answer it. */
  readonly user?: UserId
}

/** [T21] What an organisation asks of its members' devices. */
export interface OrgPolicy {
  readonly requireLock: boolean
  /** The longest idle time before a device locks itself, in minutes; 0: the person's choice. */
  readonly autoLockMinutes: number
  readonly forbidExport: boolean
}

export const NO_POLICY: OrgPolicy = { requireLock: false, autoLockMinutes: 0, forbidExport: false }

export interface OrgState extends EpochView {
  readonly name: string
  /** A conversation started outside any organisation: a one-space organisation whose directory is its member list. */
  readonly conversation: boolean
  /** The key of the organisation's decoy pool (crypto [K8]), from its first op; absent in graphs made before it. */
  readonly decoySeed?: Uint8Array
  /** [T21] The device policy its admins set (none: {@link NO_POLICY}). */
  readonly policy: OrgPolicy
  readonly users: ReadonlyMap<UserId, OrgUser>
  /** Every device ever bound to a user (hex signing key → user), removed or not. */
  readonly bindings: ReadonlyMap<string, UserId>
  /** Mailbox address (crypto [K7]) of every device ever admitted, removed or not (a removal notice reaches it, [T19]). */
  readonly mailboxes: ReadonlyMap<string, Uint8Array>
  readonly removedUsers: ReadonlySet<UserId>
  readonly removedDevices: ReadonlySet<string>
  /** Position of each user's admission in the [T4] order: lower is more senior. */
  readonly seniority: ReadonlyMap<UserId, number>
  /** [T12] Invitations by id. */
  readonly invites: ReadonlyMap<string, Invite>
  /** Live devices of live users (hex signing keys, sorted): the next rotation's recipients. */
  readonly devices: readonly string[]
  /** Live devices of admins (sorted): who gets the organisation's admin secret. */
  readonly adminDevices: readonly string[]
  /** Ops that changed nothing (void or unauthorised), for display and tests. */
  readonly ignored: ReadonlySet<OpId>
}

const ADMIN_ONLY = new Set(['admit', 'remove-user', 'promote', 'demote', 'invite', 'revoke-invite', 'rotate', 'link', 'policy'])

/** Device → user bindings and seniority as written in the graph (first binding wins). */
export function bindingsOf(order: readonly Op[]): { bindings: Map<string, UserId>; seniority: Map<UserId, number> } {
  const bindings = new Map<string, UserId>()
  const seniority = new Map<UserId, number>()
  order.forEach((op, i) => {
    const b = op.body
    if (b.kind === 'create-org' || b.kind === 'admit' || b.kind === 'add-device') {
      const d = toHex(b.device)
      if (!bindings.has(d)) bindings.set(d, b.user)
      if (b.kind !== 'add-device' && !seniority.has(b.user)) seniority.set(b.user, i)
    }
  })
  return { bindings, seniority }
}

/** [T3]–[T5] The organisation state every device computes from the same graph. */
export function resolveOrg(graph: OpGraph, membershipOnly = false): OrgState {
  const order = graph.order()
  const { bindings, seniority } = bindingsOf(order)
  const rules: VoidingRules = {
    authorUser: (op) => bindings.get(op.author),
    target: (op) => (op.body.kind === 'remove-user' ? { kind: 'remove', user: op.body.user } : op.body.kind === 'demote' ? { kind: 'demote', user: op.body.user } : undefined),
    adds: (op) => (op.body.kind === 'admit' ? op.body.user : undefined),
    // A person linking their own device is not acting as an admin ([T17]).
    adminOnly: (op) => ADMIN_ONLY.has(op.body.kind) && !(op.body.kind === 'invite' && op.body.user !== undefined),
    seniority: (u) => seniority.get(u) ?? Number.MAX_SAFE_INTEGER,
  }
  return resolveWithVoiding(graph, rules, (voided) => evaluate(graph, order, voided, bindings, seniority, membershipOnly))
}

/** Live devices of the users in `users` (all of them, or only admins), sorted. */
export function liveDevices(users: ReadonlyMap<UserId, OrgUser>, removedDevices: ReadonlySet<string>, adminsOnly = false): string[] {
  const out: string[] = []
  for (const u of users.values()) if (!adminsOnly || u.admin) for (const d of u.devices.keys()) if (!removedDevices.has(d)) out.push(d)
  return out.sort()
}

function evaluate(graph: OpGraph, order: readonly Op[], voided: ReadonlySet<OpId>, bindings: Map<string, UserId>, seniority: Map<UserId, number>, membershipOnly: boolean) {
  let name = ''
  let conversation = false
  let decoySeed: Uint8Array | undefined
  let policy: OrgPolicy = NO_POLICY
  const invites = new Map<string, { key: Uint8Array; expires: number; by: UserId; used: boolean; revoked: boolean; user?: UserId }>()
  const epochs: Omit<Epoch, 'tainted'>[] = []
  const users = new Map<UserId, { name: string; admin: boolean; devices: Map<string, Uint8Array> }>()
  const removedUsers = new Set<UserId>()
  const removedDevices = new Set<string>()
  const mailboxes = new Map<string, Uint8Array>()
  const rejected = new Set<OpId>()
  const ignored = new Set<OpId>(voided)
  order.forEach((op, i) => {
    if (voided.has(op.id)) return
    const b = op.body
    const authorUser = bindings.get(op.author)
    const author = authorUser ? users.get(authorUser) : undefined
    // [T3] the author is a live device of a live user.
    const live = !!author && author.devices.has(op.author) && !removedDevices.has(op.author)
    const isAdmin = live && author!.admin
    let ok = false
    switch (b.kind) {
      case 'create-org':
        ok = i === 0 && op.author === toHex(b.device)
        if (ok) {
          name = b.name
          conversation = b.conversation === true
          decoySeed = b.decoys
          users.set(b.user, { name: b.userName, admin: true, devices: new Map([[toHex(b.device), b.box]]) })
          mailboxes.set(toHex(b.device), b.mailbox)
        }
        break
      case 'admit': {
        const d = toHex(b.device)
        // [T12] an admit that names an invitation uses it up; a used or revoked one admits nobody.
        const inv = b.invite !== undefined ? invites.get(b.invite) : undefined
        ok = isAdmin && !users.has(b.user) && !removedDevices.has(d) && bindings.get(d) === b.user && (b.invite === undefined || (!!inv && !inv.used && !inv.revoked && inv.user === undefined))
        if (ok && inv) inv.used = true
        if (ok) {
          users.set(b.user, { name: b.userName, admin: false, devices: new Map([[d, b.box]]) })
          mailboxes.set(d, b.mailbox)
          removedUsers.delete(b.user)
        }
        break
      }
      case 'add-device': {
        const d = toHex(b.device)
        const owner = users.get(b.user)
        // [T17] a linking invitation is used up, and only for the person it was made for.
        const inv = b.invite !== undefined ? invites.get(b.invite) : undefined
        ok = live && (authorUser === b.user || isAdmin) && !!owner && !removedDevices.has(d) && bindings.get(d) === b.user && (b.invite === undefined || (!!inv && !inv.used && !inv.revoked && inv.user === b.user))
        if (ok && inv) inv.used = true
        if (ok) owner!.devices.set(d, b.box), mailboxes.set(d, b.mailbox)
        break
      }
      case 'remove-device': {
        const d = toHex(b.device)
        const owner = bindings.get(d)
        ok = live && (owner === authorUser || isAdmin) && !!owner && !!users.get(owner)?.devices.has(d)
        if (ok) {
          users.get(owner!)!.devices.delete(d)
          removedDevices.add(d)
        }
        break
      }
      case 'remove-user':
        ok = isAdmin && users.has(b.user)
        if (ok) {
          for (const d of users.get(b.user)!.devices.keys()) removedDevices.add(d)
          users.delete(b.user)
          removedUsers.add(b.user)
        }
        break
      case 'promote':
      case 'demote':
        ok = isAdmin && users.has(b.user)
        if (ok) users.get(b.user)!.admin = b.kind === 'promote'
        break
      case 'invite':
        // Admins invite people; anyone may invite a device of their own ([T17]).
        ok = !invites.has(b.invite) && (b.user === undefined ? isAdmin : live && (b.user === authorUser || isAdmin) && users.has(b.user))
        if (ok) invites.set(b.invite, { key: b.key, expires: b.expires, by: authorUser!, used: false, revoked: false, ...(b.user ? { user: b.user } : {}) })
        break
      case 'revoke-invite': {
        const inv = invites.get(b.invite)
        ok = !!inv && (isAdmin || (live && inv.user !== undefined && inv.user === authorUser))
        if (ok) inv!.revoked = true
        break
      }
      case 'rotate': {
        if (membershipOnly) return
        // [T6] from an admin; one box per live device, and one admin box per admin device, of the author's causal past.
        const past = resolveOrg(graph.past(op.id), true)
        ok = isAdmin && b.epoch > 0 && !epochs.some((e) => e.epoch === b.epoch) && b.boxes.count === past.devices.length && (b.admins?.boxes.count ?? 0) === past.adminDevices.length
        if (ok) epochs.push({ epoch: b.epoch, op: op.id, recipients: past.devices, admins: past.adminDevices })
        break
      }
      case 'policy':
        // [T21] an admin's, whole; the latest in [T4] order wins.
        ok = isAdmin
        if (ok) policy = { requireLock: b.requireLock, autoLockMinutes: b.autoLockMinutes, forbidExport: b.forbidExport }
        break
      case 'link':
        if (membershipOnly) return
        // [T18] an admin (a member: it holds the keys) links a key the chains do not reach.
        ok = isAdmin && epochs.some((e) => e.epoch === b.epoch)
        break
      default:
        ok = false // group ops do not belong in an organisation graph
    }
    if (!ok) {
      rejected.add(op.id)
      ignored.add(op.id)
    }
  })
  const devices = liveDevices(users, removedDevices)
  const adminDevices = liveDevices(users, removedDevices, true)
  const state: OrgState = { name, conversation, ...(decoySeed ? { decoySeed } : {}), policy, users, bindings, mailboxes, removedUsers, removedDevices, seniority, invites, devices, adminDevices, ignored, ...epochView(epochs, devices, adminDevices) }
  return { state, rejected }
}
