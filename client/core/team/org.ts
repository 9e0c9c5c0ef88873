import type { OpGraph } from './graph.js'
import type { Op, OpId, PolicyBody, UserId } from './ops.js'
import { DOMAIN_PATTERN, MAX_BLOCKED_DOMAINS, MAX_POLICY_OP_BYTES, policyBodyBytes } from './ops.js'
import { FILE_POLICY_LIMITS, NO_FILE_POLICY, isFileRule, isSha256Hex, type FilePolicy } from '../files/check/policy.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { isTimerSeconds } from '../documents/timer.js'
import { fromHex, toHex } from '../../../crypto/index.js'
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
  /** File rules, blocklist and size limit (client [H8]); absent until an admin sets one. */
  readonly files?: FilePolicy
  /** Domains the link checks mark (lower-case ASCII, sorted); absent until an admin blocks one. */
  readonly blockedDomains?: readonly string[]
  /** [T22] The member whose devices scan files and post verdicts (client [A4]); absent: none. */
  readonly scanner?: UserId
  /** client [M58] Read receipts off for the organisation (`false`); absent: on. */
  readonly readReceipts?: false
  /** Client [M67]: the longest a message lives after it is sent, in seconds; absent: no limit. */
  readonly maxDisappearSeconds?: number
  /** client [M61] The most a notification may show: `content`, `sender` (no text) or `none` (no name); absent: `content`. */
  readonly notifications?: NotificationLevel
  /**
   * client [Q3] Usage statistics are on: `collector`, the admin device (hex signing key) that
   * turned them on and collects the reports; `key`, its token key (crypto [X3]). Absent: off.
   */
  readonly stats?: { readonly key: Uint8Array; readonly collector: string }
}

/** client [M61] What a notification shows, from most to least. */
export type NotificationLevel = 'content' | 'sender' | 'none'

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
  /** client [M63] Push tokens of live devices (hex signing key → token): whom to wake. A removed device's is gone. */
  readonly pushTokens: ReadonlyMap<string, Uint8Array>
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
  const pushTokens = new Map<string, Uint8Array>()
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
      case 'policy': {
        // [T21] an admin's; the latest in [T4] order wins. Not membership: skipped for a past state.
        if (membershipOnly) return
        // [T22] a scanner must be a member when it is named.
        const next = isAdmin && (typeof b.scanner !== 'string' || users.has(b.scanner)) ? applyPolicyOp(policy, b, op.author) : undefined
        ok = !!next
        if (next) policy = next
        break
      }
      case 'push-token':
        // client [M63] a live device publishes (or withdraws) its own token; the latest wins.
        if (membershipOnly) return
        ok = live
        if (ok && b.token) pushTokens.set(op.author, b.token)
        else if (ok) pushTokens.delete(op.author)
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
  // [T22] A scanner removed from the organisation since it was named is no scanner.
  if (policy.scanner !== undefined && !users.has(policy.scanner)) policy = withoutScanner(policy)
  const devices = liveDevices(users, removedDevices)
  // client [Q3] Statistics collected by a device no longer an admin's live device are off.
  if (policy.stats && !liveDevices(users, removedDevices, true).includes(policy.stats.collector)) policy = withoutStats(policy)
  const adminDevices = liveDevices(users, removedDevices, true)
  // client [M63] Tokens of removed devices leave with them: nobody wakes them again.
  const live = new Set(devices)
  for (const d of [...pushTokens.keys()]) if (!live.has(d)) pushTokens.delete(d)
  const state: OrgState = { name, conversation, ...(decoySeed ? { decoySeed } : {}), policy, users, bindings, mailboxes, removedUsers, removedDevices, seniority, invites, devices, adminDevices, ignored, pushTokens, ...epochView(epochs, devices, adminDevices) }
  return { state, rejected }
}

/**
 * [T21] The policy after an admin's op: lock and export settings as written; the file rules as
 * written when the op has them, else as they were; blocklist hashes and domains removed, then
 * added; the scanner ([T22]) as written when the op names one or none. Undefined (the op
 * changes nothing) when a list would pass its bound.
 */
function applyPolicyOp(p: OrgPolicy, b: PolicyBody, author: string): OrgPolicy | undefined {
  let files = p.files
  if (b.files || b.hashes) {
    const base = files ?? NO_FILE_POLICY
    const hashes = b.hashes ? edited(base.blockedHashes, b.hashes.add.map(toHex), b.hashes.remove.map(toHex)) : base.blockedHashes
    if (hashes.length > FILE_POLICY_LIMITS.blockedHashes) return undefined
    files = b.files ? { block: b.files.block, warn: b.files.warn, maxFileMb: b.files.maxMb, blockedHashes: hashes } : { ...base, blockedHashes: hashes }
  }
  const domains = b.domains ? edited(p.blockedDomains ?? [], b.domains.add, b.domains.remove) : p.blockedDomains
  if (domains && domains.length > MAX_BLOCKED_DOMAINS) return undefined
  const scanner = b.scanner === undefined ? p.scanner : b.scanner || undefined
  const receiptsOff = b.readReceipts === undefined ? p.readReceipts === false : !b.readReceipts
  // client [M61] as written when the op names a level, else as it was ('content' is the default: kept absent).
  const notifications = b.notifications ?? p.notifications
  const maxDisappear = b.maxDisappearSeconds === undefined ? p.maxDisappearSeconds : b.maxDisappearSeconds || undefined
  const stats = b.stats === undefined ? p.stats : b.stats ? { key: b.stats.key, collector: author } : undefined
  return { requireLock: b.requireLock, autoLockMinutes: b.autoLockMinutes, forbidExport: b.forbidExport, ...(files ? { files } : {}), ...(domains ? { blockedDomains: domains } : {}), ...(scanner ? { scanner } : {}), ...(receiptsOff ? { readReceipts: false as const } : {}), ...(notifications && notifications !== 'content' ? { notifications } : {}), ...(maxDisappear ? { maxDisappearSeconds: maxDisappear } : {}), ...(stats ? { stats } : {}) }
}

function withoutStats(p: OrgPolicy): OrgPolicy {
  const { stats: _, ...rest } = p
  return rest
}

function withoutScanner(p: OrgPolicy): OrgPolicy {
  const { scanner: _, ...rest } = p
  return rest
}

function edited(list: readonly string[], add: readonly string[], remove: readonly string[]): string[] {
  const set = new Set(list)
  for (const x of remove) set.delete(x)
  for (const x of add) set.add(x)
  return [...set].sort()
}

/**
 * [T21] A change an admin asks for. Lock and export settings, the type lists and the size limit
 * replace what is there (what is not given stays); hashes and domains are added or removed.
 */
export interface PolicyChange {
  readonly requireLock?: boolean
  readonly autoLockMinutes?: number
  readonly forbidExport?: boolean
  /** Extensions (`exe`) or class names (`executable`, client [H3]) blocked / warned about. */
  readonly blockTypes?: readonly string[]
  readonly warnTypes?: readonly string[]
  /** MiB; 0: only the app's own limit. */
  readonly maxFileMb?: number
  /** SHA-256 of files, lower-case hex. */
  readonly blockHashes?: readonly string[]
  readonly unblockHashes?: readonly string[]
  /** Lower-case ASCII domains (IDNs in punycode). */
  readonly blockDomains?: readonly string[]
  readonly unblockDomains?: readonly string[]
  /** [T22] The scanner's user id (a member), or `false` to have none. */
  readonly scanner?: UserId | false
  /** client [M58] Read receipts on (true) or off (false) for the organisation. */
  readonly readReceipts?: boolean
  /** Client [M67]: the longest a message lives, in seconds (one of the timers of [M65]); 0: no limit. */
  readonly maxDisappearSeconds?: number
  /** client [M61] The most a notification may show on members' devices. */
  readonly notifications?: NotificationLevel
  /** client [Q3] Usage statistics on, collected by this device under this token key, or `false`: off. */
  readonly stats?: { readonly key: Uint8Array } | false
}

const invalid = (detail: string) => new ClientError(ClientErrorCode.POLICY_INVALID, detail)

/** [T21] Every value of a change checked alone (M509 naming the first bad one), before anything is signed or sent. */
export function checkPolicyChange(c: PolicyChange): void {
  if (c.autoLockMinutes !== undefined && (!Number.isInteger(c.autoLockMinutes) || c.autoLockMinutes < 0 || c.autoLockMinutes > 10_080)) throw invalid('auto-lock is whole minutes, 0 to 10080')
  if (c.maxFileMb !== undefined && (!Number.isInteger(c.maxFileMb) || c.maxFileMb < 0 || c.maxFileMb > FILE_POLICY_LIMITS.maxFileMb)) throw invalid(`the file size limit is whole MiB, 0 to ${FILE_POLICY_LIMITS.maxFileMb}`)
  for (const list of [c.blockTypes, c.warnTypes]) {
    const bad = list?.find((t) => !isFileRule(t))
    if (bad !== undefined) throw invalid(`not a file type or class: ${bad}`)
    if (list && new Set(list).size > FILE_POLICY_LIMITS.rules) throw invalid(`at most ${FILE_POLICY_LIMITS.rules} file types in a list`)
  }
  const hash = [...(c.blockHashes ?? []), ...(c.unblockHashes ?? [])].find((h) => !isSha256Hex(h))
  if (hash !== undefined) throw invalid(`not a SHA-256 (64 lower-case hex characters): ${hash}`)
  const domain = [...(c.blockDomains ?? []), ...(c.unblockDomains ?? [])].find((d) => !DOMAIN_PATTERN.test(d))
  if (domain !== undefined) throw invalid(`not a domain name: ${domain}`)
  if (typeof c.scanner === 'string' && (c.scanner.length < 1 || c.scanner.length > 64)) throw invalid(`not a user id: ${c.scanner}`)
  if (c.maxDisappearSeconds !== undefined && !isTimerSeconds(c.maxDisappearSeconds)) throw invalid(`not a disappearing-messages timer: ${c.maxDisappearSeconds}`)
  if (c.notifications !== undefined && !['content', 'sender', 'none'].includes(c.notifications)) throw invalid(`notifications are content, sender or none: ${String(c.notifications)}`)
}

/**
 * [T21] The op body that makes `change` to `current`: lock and export settings whole, the file
 * rules when the change touches them, and only the hash and domain edits that change something.
 * M509 when a value is bad, a list would pass its bound or the op would pass {@link MAX_POLICY_OP_BYTES}.
 */
export function policyOpBody(current: OrgPolicy, change: PolicyChange): PolicyBody {
  checkPolicyChange(change)
  const files = current.files ?? NO_FILE_POLICY
  const touchesFiles = change.blockTypes !== undefined || change.warnTypes !== undefined || change.maxFileMb !== undefined
  const hashes = editsOf(files.blockedHashes, change.blockHashes, change.unblockHashes)
  const domains = editsOf(current.blockedDomains ?? [], change.blockDomains, change.unblockDomains)
  if (files.blockedHashes.length + hashes.add.length - hashes.remove.length > FILE_POLICY_LIMITS.blockedHashes) throw invalid(`at most ${FILE_POLICY_LIMITS.blockedHashes.toLocaleString('en')} blocked files`)
  if ((current.blockedDomains?.length ?? 0) + domains.add.length - domains.remove.length > MAX_BLOCKED_DOMAINS) throw invalid(`at most ${MAX_BLOCKED_DOMAINS.toLocaleString('en')} blocked domains`)
  const body: PolicyBody = {
    kind: 'policy',
    requireLock: change.requireLock ?? current.requireLock,
    autoLockMinutes: change.autoLockMinutes ?? current.autoLockMinutes,
    forbidExport: change.forbidExport ?? current.forbidExport,
    ...(touchesFiles ? { files: { block: [...new Set(change.blockTypes ?? files.block)], warn: [...new Set(change.warnTypes ?? files.warn)], maxMb: change.maxFileMb ?? files.maxFileMb } } : {}),
    ...(hashes.add.length || hashes.remove.length ? { hashes: { add: hashes.add.map((h) => fromHex(h)!), remove: hashes.remove.map((h) => fromHex(h)!) } } : {}),
    ...(domains.add.length || domains.remove.length ? { domains } : {}),
    ...(change.scanner !== undefined ? { scanner: change.scanner } : {}),
    ...(change.readReceipts !== undefined ? { readReceipts: change.readReceipts } : {}),
    ...(change.notifications !== undefined ? { notifications: change.notifications } : {}),
    ...(change.maxDisappearSeconds !== undefined ? { maxDisappearSeconds: change.maxDisappearSeconds } : {}),
    ...(change.stats !== undefined ? { stats: change.stats && { key: change.stats.key } } : {}),
  }
  if (policyBodyBytes(body) > MAX_POLICY_OP_BYTES) throw invalid(`one change may carry at most ${MAX_POLICY_OP_BYTES / 1024} KiB: make it in several`)
  return body
}

/** What to add (not there yet) and remove (there now), each once. */
function editsOf(current: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): { add: string[]; remove: string[] } {
  const have = new Set(current)
  const gone = new Set(remove.filter((x) => have.has(x)))
  return { add: [...new Set(add)].filter((x) => !have.has(x) || gone.has(x)), remove: [...gone] }
}
