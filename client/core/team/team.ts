import { deriveInviteKey, fromHex, randomBytes, toBase64Url, toHex } from '../../../crypto/index.js'
import { deviceIdOf, idBytes, type ConvId, type DeviceId, type DocId } from '../../../protocol/index.js'
import { generationRootId } from '../documents/model.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { normaliseName } from '../identity.js'
import type { GroupState } from './group.js'
import { NO_POLICY, policyOpBody, type OrgPolicy, type OrgState, type PolicyChange } from './org.js'
import { spaceIdOf, type OpBody } from './ops.js'
import { VerifiedPeople, verificationBetween, type Verification, type VerifiedState } from './verified.js'
import { newInviteSecret, orgInviteLink, parseOrgInvitation, type OrgInvitation } from './orgInvite.js'
import { TeamCore, type TeamDeps } from './service.js'
import type { ProxyOutcome } from '../sync/proxyRekey.js'
import { ScannerSeats } from './scannerSeats.js'

export interface DirectoryEntry {
  readonly user: string
  readonly name: string
  readonly admin: boolean
  /** Device signing keys (hex), sorted. */
  readonly devices: readonly string[]
  readonly me: boolean
  /** [V2] Whether this person verified them, and whether their devices changed since. */
  readonly verified: VerifiedState
}

export interface GroupSummary {
  readonly group: ConvId
  readonly name: string
  readonly member: boolean
  readonly history: boolean
  readonly members: readonly { user: string; name: string; admin: boolean }[]
}

/** Default lifetime of an invitation link. */
export const INVITE_TTL_MS = 7 * 24 * 3600_000

/**
 * What people and admins do with organisations and groups ([T1]–[T13]). Every method is a local
 * change first (signed ops stored here), sent in bundles through the mail outbox: it all works
 * offline and takes effect when this device is back.
 */
export class Team {
  /** The team's workings. Nothing outside team/ reaches through it; white-box tests may. */
  readonly core: TeamCore
  private readonly verifiedPeople: VerifiedPeople
  private readonly scannerSeats: ScannerSeats

  constructor(deps: TeamDeps) {
    // [T22] Whenever a space's state is applied (a policy, a new group, a load), an admin device
    // may have a scanner to add.
    this.core = new TeamCore({ ...deps, changed: (space) => (deps.changed(space), this.scannerSeats.soon(this.orgOf(space) ?? space)) })
    this.verifiedPeople = new VerifiedPeople(deps.store)
    this.scannerSeats = new ScannerSeats({
      spaces: this.core.spaces,
      run: (work) => this.core.run(work),
      add: async (group, user) => {
        await this.core.sign(group, { kind: 'add', user })
        await this.rotateAfterChange(group)
      },
      problem: (detail) => deps.problem(ClientErrorCode.TEAM_REFUSED, detail),
    })
  }

  async load(): Promise<void> {
    await this.verifiedPeople.load()
    await this.core.load()
  }

  private get spaces() {
    return this.core.spaces
  }

  // ---- what the engine and the mailbox tell the team, and what they ask of it ---------------

  /** A mailbox item: a bundle or a join request. False when it is neither (left to other readers). */
  onMail(body: Uint8Array): Promise<false | { pool?: Uint8Array }> {
    return this.core.onMail(body)
  }

  /** [S10][T15] The server confirmed a space at `epoch`. */
  onJoined(conv: ConvId, epoch: number): Promise<void> {
    return this.isSpace(conv) ? this.core.run(() => this.core.server.onJoined(conv, epoch)) : Promise.resolve()
  }

  /** [S10][T15] The server is at another epoch than this device rotated from. */
  onRekeyConflict(conv: ConvId, epoch: number): Promise<void> {
    return this.core.run(() => this.core.server.onRekeyConflict(conv, epoch))
  }

  /** [T18] The server answered a rekey made for a space this device is not a member of. */
  onProxyRekey(conv: ConvId, outcome: ProxyOutcome, epoch?: number): Promise<void> {
    return this.core.run(() => this.core.proxies.settled(conv, outcome, epoch))
  }

  /** [S10] The admin secrets a rekey of the space needs (the server's epoch's, and the current one). */
  adminSecretsFor(conv: ConvId, serverEpoch: number | undefined, epoch: number): { sign: Uint8Array; next: Uint8Array } | undefined {
    return this.core.server.adminSecretsFor(conv, serverEpoch, epoch)
  }

  /** [T19] Removal notices may leave now. */
  noticesMayGo(): boolean {
    return this.core.noticesMayGo()
  }

  /** [M26] `device` (hex) was a member device of the space's `epoch`; undefined outside spaces. */
  /** [S12] The position of `epoch` among the space's valid epochs, in graph order ([T4]); undefined when unknown. */
  epochRank(conv: ConvId, epoch: number): number | undefined {
    const i = this.spaces.meta(conv) ? (this.spaces.state(conv)?.epochs.findIndex((e) => e.epoch === epoch) ?? -1) : -1
    return i < 0 ? undefined : i
  }

  memberOfEpoch(conv: ConvId, epoch: number, device: string, recipientOnly = false): boolean | undefined {
    return this.core.memberOfEpoch(conv, epoch, device, recipientOnly)
  }

  // ---- reading ------------------------------------------------------------------------------

  /** Organisations this device is in; `conversation`: one started outside any organisation. */
  orgs(): { org: ConvId; name: string; admin: boolean; conversation: boolean }[] {
    return this.spaces
      .list()
      .filter((s) => this.spaces.meta(s)?.kind === 'org' && this.core.isMember(s))
      .map((org) => {
        const state = this.spaces.org(org)
        return { org, name: state.name, admin: this.core.canAdmin(org), conversation: state.conversation }
      })
  }

  /** A conversation started outside any organisation (a one-space organisation, [T2]). */
  isConversation(conv: ConvId): boolean {
    return this.spaces.meta(conv)?.kind === 'org' && this.spaces.org(conv).conversation
  }

  isSpace(conv: ConvId): boolean {
    return !!this.spaces.meta(conv)
  }

  orgOf(conv: ConvId): ConvId | undefined {
    return this.spaces.meta(conv)?.org
  }

  directory(org: ConvId): DirectoryEntry[] {
    const state = this.spaces.org(org)
    const mine = state.bindings.get(this.core.me)
    return [...state.users]
      .map(([user, u]) => {
        const devices = [...u.devices.keys()].sort()
        return { user, name: u.name, admin: u.admin, devices, me: user === mine, verified: user === mine ? 'unverified' : this.verifiedPeople.state(org, user, devices) } as const
      })
      .sort((a, b) => a.name.localeCompare(b.name) || a.user.localeCompare(b.user))
  }

  /** Groups of an organisation this device knows (its own, and every group when it is an org admin). */
  groups(org: ConvId): GroupSummary[] {
    const names = this.spaces.org(org)
    return this.spaces
      .list()
      .filter((g) => this.spaces.meta(g)?.kind === 'group' && this.spaces.meta(g)?.org === org)
      .flatMap((group) => {
        const s = this.spaces.group(group)
        if (!s || !s.name) return []
        const members = [...s.members].map(([user, m]) => ({ user, name: names.users.get(user)?.name ?? 'Unknown', admin: m.admin }))
        return [{ group, name: s.name, member: this.core.isMember(group), history: s.history, members }]
      })
  }

  group(group: ConvId): GroupState | undefined {
    return this.spaces.group(group)
  }

  /** The organisation's resolved state (read only); undefined when `org` is not an organisation this device is in. */
  orgState(org: ConvId): OrgState | undefined {
    return this.spaces.meta(org)?.kind === 'org' ? this.spaces.org(org) : undefined
  }

  /** The name a space's graph gives it (organisation, group or conversation); '' when unknown. */
  nameOf(conv: ConvId): string {
    const meta = this.spaces.meta(conv)
    if (!meta) return ''
    return meta.kind === 'org' ? this.spaces.org(conv).name : (this.spaces.group(conv)?.name ?? '')
  }

  /** Admin devices of a space: group admins and the organisation's admins ([T3]). */
  adminDevices(conv: ConvId): DeviceId[] {
    return (this.spaces.state(conv)?.adminDevices ?? []).map(hexToDevice)
  }

  /** Names of devices (removed people included) for a conversation's messages. */
  deviceNames(conv: ConvId): Map<DeviceId, string> {
    const org = this.orgOf(conv)
    if (!org) return new Map()
    const byHex = this.core.deviceNames(org) // a new map only when the directory changed
    let byId = this.namesById.get(byHex)
    if (!byId) this.namesById.set(byHex, (byId = new Map([...byHex].map(([d, n]) => [hexToDevice(d), n]))))
    return byId
  }

  private readonly namesById = new WeakMap<Map<string, string>, Map<DeviceId, string>>()

  /** Member devices of a space, for the members list. */
  memberDevices(conv: ConvId): DeviceId[] {
    return (this.spaces.state(conv)?.devices ?? []).map(hexToDevice)
  }

  /** One device per member person (the first, sorted): a person with two devices is listed once. */
  memberPeople(conv: ConvId): DeviceId[] {
    const org = this.orgOf(conv)
    if (!org) return []
    const bindings = this.spaces.org(org).bindings
    const seen = new Set<string>()
    const out: DeviceId[] = []
    for (const d of this.spaces.state(conv)?.devices ?? []) {
      const user = bindings.get(d)
      if (!user || seen.has(user)) continue
      seen.add(user)
      out.push(hexToDevice(d))
    }
    return out
  }

  canAdmin(conv: ConvId): boolean {
    return this.core.canAdmin(conv)
  }

  isMember(conv: ConvId): boolean {
    return this.core.isMember(conv)
  }

  userOfDevice(conv: ConvId, device: DeviceId): string | undefined {
    const org = this.orgOf(conv)
    return org ? this.spaces.org(org).bindings.get(toHex(idBytes(device))) : undefined
  }

  /**
   * [V1] Verifying a colleague: the safety number both of you see for your two sets of device
   * keys (as the directory states them), this device's person's code to show as a QR code, and a
   * check of the code scanned from the colleague's screen.
   */
  verification(org: ConvId, user: string): Verification | undefined {
    const dir = this.directory(org)
    const me = dir.find((e) => e.me)
    const them = dir.find((e) => e.user === user)
    return me && them ? verificationBetween(me, them) : undefined
  }

  /**
   * [V2] Marks a colleague verified (after a matching code, or safety numbers compared aloud),
   * with the devices the directory states for them now; `false` clears it.
   */
  async setVerified(org: ConvId, user: string, verified: boolean): Promise<void> {
    const them = this.directory(org).find((e) => e.user === user && !e.me)
    if (!them) throw new ClientError(ClientErrorCode.NOT_MEMBER)
    await this.verifiedPeople.set(org, user, verified ? them.devices : undefined)
    this.core.deps.changed(org)
  }

  /**
   * [T14] The document generations of a space this device can read, oldest first: a rotation
   * without a key chain (the first, and every one in a group without history) starts one. The
   * last is the generation of the epoch to write under.
   */
  generations(conv: ConvId): DocId[] {
    const state = this.spaces.state(conv)
    if (!state) return []
    const { keys } = this.spaces.keysOf(conv)
    const graph = this.spaces.graph(conv)
    const gens: { root: DocId; epochs: number[] }[] = []
    for (const e of state.epochs) {
      const body = graph.get(e.op)?.body
      const chained = body?.kind === 'rotate' && !!body.chain
      if (!gens.length || !chained) gens.push({ root: gens.length ? generationRootId(conv, e.epoch) : (conv as string as DocId), epochs: [] })
      gens[gens.length - 1]!.epochs.push(e.epoch)
    }
    const current = state.current?.epoch
    const readable = gens.filter((g) => g.epochs.some((e) => keys.has(e)))
    const cur = readable.find((g) => current !== undefined && g.epochs.includes(current))
    return [...readable.filter((g) => g !== cur), ...(cur ? [cur] : [])].map((g) => g.root)
  }

  /**
   * [M30] What a wipe of an organisation covers: the organisation and every group of it this
   * device knows, and the root document of every generation any of them may have had ([T14]):
   * one per rotation in their graphs, valid or not (a superset costs a lookup, a gap a leak).
   */
  wipeScope(org: ConvId): { name: string; conversation: boolean; spaces: ConvId[]; roots: DocId[] } {
    const spaces = [org, ...this.spaces.list().filter((s) => s !== org && this.spaces.meta(s)?.org === org)]
    const roots = spaces.flatMap((space) => [
      space as string as DocId,
      ...this.spaces.graph(space).all().flatMap((op) => (op.body.kind === 'rotate' ? [generationRootId(space, op.body.epoch)] : [])),
    ])
    const state = this.spaces.meta(org)?.kind === 'org' ? this.spaces.org(org) : undefined
    return { name: state?.name ?? '', conversation: !!state?.conversation, spaces, roots }
  }

  /** Settles once the team work queued so far is done (before this device wipes, [M30]). */
  settled(): Promise<void> {
    return this.core.settled()
  }

  /** Invitations of an organisation still open (admins). */
  invites(org: ConvId): { invite: string; expires: number }[] {
    return [...this.spaces.org(org).invites].filter(([, i]) => !i.used && !i.revoked && i.expires > Date.now()).map(([invite, i]) => ({ invite, expires: i.expires }))
  }

  // ---- organisation -------------------------------------------------------------------------

  /**
   * Creates an organisation with this device's person as its first admin; `conversation`: a
   * conversation outside any organisation, the same kind of space with its member list as its
   * directory (no groups inside).
   */
  createOrg(name: string, opts: { conversation?: boolean } = {}): Promise<ConvId> {
    const clean = normaliseName(name)
    if (!clean) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_EMPTY, 'name'))
    return this.core.run(async () => {
      const { keys, name: myName } = this.core.deps.identity
      const nonce = randomBytes(16)
      const org = spaceIdOf(keys.signPublic, nonce) as ConvId
      await this.spaces.setMeta(org, { kind: 'org', org })
      await this.core.sign(org, { kind: 'create-org', nonce, name: clean, user: newUserId(), userName: myName, device: keys.signPublic, box: keys.boxPublic, mailbox: this.core.deps.identity.mailbox, ...(opts.conversation ? { conversation: true as const } : {}), decoys: randomBytes(32) })
      await this.core.rotateAndSend(org, randomBytes(32))
      await this.core.apply(org)
      return org
    })
  }

  /** [T21] What the organisation asks of its members' devices. */
  policy(org: ConvId): OrgPolicy {
    return this.spaces.meta(org)?.kind === 'org' ? this.spaces.org(org).policy : NO_POLICY
  }

  /**
   * [T21] What this device must do for every organisation it is in: a lock when any requires
   * one, the shortest auto-lock time any sets (0: none set), and the organisations that forbid
   * export.
   */
  devicePolicy(): { requireLock: boolean; autoLockMinutes: number; noExport: ConvId[] } {
    const orgs = this.orgs().map((o) => ({ org: o.org, p: this.policy(o.org) }))
    const limits = orgs.map((o) => o.p.autoLockMinutes).filter((m) => m > 0)
    return { requireLock: orgs.some((o) => o.p.requireLock), autoLockMinutes: limits.length ? Math.min(...limits) : 0, noExport: orgs.filter((o) => o.p.forbidExport).map((o) => o.org) }
  }

  /**
   * [T21] Changes the organisation's policy (admins): settings given replace, what is not given
   * stays; blocklist hashes and domains are added or removed. M509 for a bad value.
   */
  setPolicy(org: ConvId, change: PolicyChange): Promise<void> {
    try {
      // [T22] The scanner is one of the organisation's people.
      if (typeof change.scanner === 'string' && !(this.spaces.meta(org)?.kind === 'org' && this.spaces.org(org).users.has(change.scanner))) {
        throw new ClientError(ClientErrorCode.POLICY_INVALID, `the scanner must be a member of the organisation: ${change.scanner}`)
      }
      return this.adminOp(org, policyOpBody(this.policy(org), change), false)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** [T12] A one-time invitation link (admins), valid for `ttlMs`. */
  invite(org: ConvId, origin: string, ttlMs = INVITE_TTL_MS): Promise<{ link: string; invite: string; expires: number }> {
    return this.makeInvite(org, origin, ttlMs)
  }

  /**
   * [T17] A one-time link to add another device (a laptop, a new phone) for this device's person:
   * opened on the new device, answered to this one, which adds it; an admin device then rotates
   * the keys to include it.
   */
  linkDevice(org: ConvId, origin: string, ttlMs = 24 * 3600_000): Promise<{ link: string; invite: string; expires: number }> {
    const user = this.spaces.meta(org) ? this.spaces.org(org).bindings.get(this.core.me) : undefined
    if (!user || !this.core.isMember(org)) return Promise.reject(new ClientError(ClientErrorCode.NOT_MEMBER))
    return this.makeInvite(org, origin, ttlMs, user)
  }

  private makeInvite(org: ConvId, origin: string, ttlMs: number, user?: string): Promise<{ link: string; invite: string; expires: number }> {
    return this.core.run(async () => {
      if (!user) this.requireAdmin(org)
      const { invite, secret } = newInviteSecret()
      const expires = Date.now() + ttlMs
      const key = deriveInviteKey(secret, idBytes(org)).publicKey
      const op = await this.core.sign(org, { kind: 'invite', invite, key, expires, ...(user ? { user } : {}) })
      await this.core.send(org, undefined, undefined, [op])
      const { keys, mailbox } = this.core.deps.identity
      const seed = this.spaces.org(org).decoySeed
      const inv: OrgInvitation = { org, name: this.spaces.org(org).name, invite, secret, admin: keys.signPublic, adminBox: keys.boxPublic, adminMailbox: mailbox, expires, ...(user ? { user } : {}), ...(this.spaces.org(org).conversation ? { conversation: true as const } : {}), ...(seed ? { decoySeed: seed } : {}) }
      this.core.deps.changed(org)
      return { link: orgInviteLink(origin, inv), invite, expires }
    })
  }

  /** A person's devices (ids as shown in the app), this one marked. */
  devicesOf(org: ConvId, user: string): { device: DeviceId; me: boolean }[] {
    const u = this.spaces.meta(org) ? this.spaces.org(org).users.get(user) : undefined
    return [...(u?.devices.keys() ?? [])].sort().map((d) => ({ device: hexToDevice(d), me: d === this.core.me }))
  }

  /**
   * [M32] Adds this person's recovery device to every organisation (and conversation) this device
   * is a member of and where it was never bound (a removed one stays out); an admin device then
   * rotates the keys to include it ([T8]), as for any device of a person ([T17]). Returns the
   * organisations it was added to.
   */
  addRecoveryDevice(device: { sign: Uint8Array; box: Uint8Array; mailbox: Uint8Array }): Promise<ConvId[]> {
    const hex = toHex(device.sign)
    return this.core.run(async () => {
      const added: ConvId[] = []
      for (const { org } of this.orgs()) {
        const state = this.spaces.org(org)
        const user = state.bindings.get(this.core.me)
        if (!user || !this.core.isMember(org) || state.bindings.has(hex)) continue
        const op = await this.core.sign(org, { kind: 'add-device', user, device: device.sign, box: device.box, mailbox: device.mailbox })
        if (this.core.canAdmin(org)) await this.core.rotateAndSend(org)
        else await this.core.send(org, undefined, undefined, [op])
        await this.core.applyAll(org)
        added.push(org)
      }
      return added
    })
  }

  /** [M32] Removes a retired recovery device (a new recovery key replaced it) wherever it is live. */
  async removeRecoveryDevice(sign: Uint8Array): Promise<void> {
    const hex = toHex(sign)
    for (const { org } of this.orgs()) {
      const state = this.spaces.org(org)
      const owner = state.bindings.get(hex)
      if (owner && state.users.get(owner)?.devices.has(hex) && owner === state.bindings.get(this.core.me)) await this.removeDevice(org, deviceIdOf(sign))
    }
  }

  /** [T17] Removes a device (a lost phone): its person or an admin; keys rotate without it. */
  removeDevice(org: ConvId, device: DeviceId): Promise<void> {
    const hex = toHex(idBytes(device))
    const state = this.spaces.meta(org) ? this.spaces.org(org) : undefined
    const owner = state?.bindings.get(hex)
    if (!state || !owner || !state.users.get(owner)?.devices.has(hex)) return Promise.reject(new ClientError(ClientErrorCode.NOT_MEMBER))
    if (hex === this.core.me) return Promise.reject(new ClientError(ClientErrorCode.NOT_ADMIN, 'this device cannot remove itself'))
    const mine = state.bindings.get(this.core.me) === owner
    if (!mine && !this.core.canAdmin(org)) return Promise.reject(new ClientError(ClientErrorCode.NOT_ADMIN))
    return this.core.run(async () => {
      const op = await this.core.sign(org, { kind: 'remove-device', device: fromHex(hex)! })
      if (this.core.canAdmin(org)) await this.core.rotateAndSend(org)
      else await this.core.send(org, undefined, undefined, [op])
      await this.core.applyAll(org)
    })
  }

  /**
   * client [M63] Publishes this device's push token (or withdraws it: `undefined`) in every
   * organisation it is a member of where the directory states another: a signed op of its own,
   * sent in a bundle to the members like any op (no rotation).
   */
  setPushToken(token: Uint8Array | undefined): Promise<void> {
    return this.core.run(async () => {
      for (const org of this.spaces.list()) {
        if (this.spaces.meta(org)?.kind !== 'org' || !this.core.isMember(org)) continue
        const now = this.spaces.org(org).pushTokens.get(this.core.me)
        if (now === token || (now && token && toHex(now) === toHex(token))) continue
        const op = await this.core.sign(org, { kind: 'push-token', ...(token ? { token } : {}) })
        await this.core.send(org, undefined, undefined, [op])
        await this.core.applyAll(org)
      }
    })
  }

  /** client [M63] Push tokens of the live member devices of a conversation, this person's own devices left out. */
  pushTokens(conv: ConvId): Uint8Array[] {
    const org = this.orgOf(conv)
    if (!org) return []
    const state = this.spaces.org(org)
    const me = state.bindings.get(this.core.me)
    const out: Uint8Array[] = []
    for (const d of this.spaces.state(conv)?.devices ?? []) {
      const token = state.pushTokens.get(d)
      if (token && state.bindings.get(d) !== me) out.push(token)
    }
    return out
  }

  revokeInvite(org: ConvId, invite: string): Promise<void> {
    const inv = this.spaces.meta(org) ? this.spaces.org(org).invites.get(invite) : undefined
    if (!inv || inv.revoked || inv.used) return Promise.reject(new ClientError(ClientErrorCode.INVITE_REFUSED, 'no such open invitation'))
    return this.adminOp(org, { kind: 'revoke-invite', invite }, false)
  }

  /** The invitee: answers the invitation; the organisation appears once an admin device admits it. */
  async acceptInvite(link: string): Promise<{ org: ConvId; name: string }> {
    const inv = parseOrgInvitation(link)
    if (inv.expires < Date.now()) throw new ClientError(ClientErrorCode.INVITE_REFUSED, 'this invitation has expired')
    await this.core.run(async () => {
      if (this.core.isMember(inv.org) || this.core.pendingJoin(inv.org)) return
      await this.core.requestJoin(inv, inv.user ?? newUserId())
    })
    return { org: inv.org, name: inv.name }
  }

  /** Answers this device sent and still waits on; `conversation`: the invitation was to a conversation. */
  pendingJoins(): { org: ConvId; orgName: string; device: boolean; conversation: boolean }[] {
    return this.core.pendingJoinList().filter((p) => !this.core.isMember(p.org))
  }

  /** Stops waiting for an answer to an invitation (the person gave up, or was told it was refused). */
  cancelJoin(org: ConvId): Promise<void> {
    return this.core.run(async () => {
      await this.core.cancelJoin(org)
      this.core.deps.changed(org)
    })
  }

  promote(org: ConvId, user: string): Promise<void> {
    return this.setOrgAdmin(org, user, true)
  }

  demote(org: ConvId, user: string): Promise<void> {
    return this.setOrgAdmin(org, user, false)
  }

  private setOrgAdmin(org: ConvId, user: string, admin: boolean): Promise<void> {
    const person = this.spaces.meta(org) ? this.spaces.org(org).users.get(user) : undefined
    if (!person) return Promise.reject(new ClientError(ClientErrorCode.NOT_MEMBER))
    if (person.admin === admin) return Promise.resolve()
    return this.adminOp(org, { kind: admin ? 'promote' : 'demote', user }, true)
  }

  /** A departed person: out of the organisation and every group, devices revoked, keys rotated. */
  removeFromOrg(org: ConvId, user: string): Promise<void> {
    if (this.spaces.org(org).bindings.get(this.core.me) === user) return Promise.reject(new ClientError(ClientErrorCode.NOT_ADMIN, 'an admin cannot remove themselves'))
    // Someone already out: no op that changes nothing, and no rotation for everyone.
    if (!this.spaces.org(org).users.has(user)) return Promise.reject(new ClientError(ClientErrorCode.NOT_MEMBER))
    return this.adminOp(org, { kind: 'remove-user', user }, true)
  }

  // ---- groups -------------------------------------------------------------------------------

  createGroup(org: ConvId, name: string, opts: { history?: boolean } = {}): Promise<ConvId> {
    const clean = normaliseName(name)
    if (!clean) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_EMPTY, 'name'))
    return this.core.run(async () => {
      const user = this.spaces.org(org).bindings.get(this.core.me)
      if (!user || !this.core.isMember(org)) throw new ClientError(ClientErrorCode.NOT_MEMBER)
      if (this.isConversation(org)) throw new ClientError(ClientErrorCode.NOT_AN_ORGANISATION)
      const nonce = randomBytes(16)
      const group = spaceIdOf(this.core.deps.identity.keys.signPublic, nonce) as ConvId
      await this.spaces.setMeta(group, { kind: 'group', org })
      await this.core.sign(group, { kind: 'create-group', nonce, name: clean, user, history: opts.history ?? true })
      await this.core.rotateAndSend(group, randomBytes(32))
      await this.core.apply(group)
      return group
    })
  }

  addToGroup(group: ConvId, users: readonly string[]): Promise<void> {
    return this.core.run(async () => {
      this.requireAdmin(group)
      const state = this.spaces.group(group)!
      const org = this.spaces.org(this.orgOf(group)!)
      const fresh = users.filter((u) => !state.members.has(u))
      for (const u of fresh) if (!org.users.has(u)) throw new ClientError(ClientErrorCode.NOT_MEMBER, 'not in the organisation')
      if (!fresh.length) return
      for (const user of fresh) await this.core.sign(group, { kind: 'add', user })
      await this.rotateAfterChange(group)
    })
  }

  removeFromGroup(group: ConvId, user: string): Promise<void> {
    return this.core.run(async () => {
      this.requireAdmin(group)
      if (!this.spaces.group(group)?.members.has(user)) throw new ClientError(ClientErrorCode.NOT_MEMBER)
      await this.core.sign(group, { kind: 'remove', user })
      await this.rotateAfterChange(group)
    })
  }

  setGroupAdmin(group: ConvId, user: string, admin: boolean): Promise<void> {
    const member = this.spaces.group(group)?.members.get(user)
    if (!member) return Promise.reject(new ClientError(ClientErrorCode.NOT_MEMBER))
    if (member.admin === admin) return Promise.resolve()
    return this.adminOp(group, { kind: admin ? 'promote' : 'demote', user }, true)
  }

  renameGroup(group: ConvId, name: string): Promise<void> {
    return this.adminOp(group, { kind: 'rename', name: normaliseName(name) }, false)
  }

  setHistory(group: ConvId, history: boolean): Promise<void> {
    return this.adminOp(group, { kind: 'set-history', history }, false)
  }

  // ---- helpers ------------------------------------------------------------------------------

  private adminOp(space: ConvId, body: OpBody, rotate: boolean): Promise<void> {
    return this.core.run(async () => {
      this.requireAdmin(space)
      const op = await this.core.sign(space, body)
      if (rotate) await this.rotateAfterChange(space)
      else await this.core.send(space, undefined, undefined, [op])
      await this.core.applyAll(space, true)
    })
  }

  /**
   * After a membership change: rotate now — also as an organisation admin outside a group, which
   * registers the rotation on the server without keeping its key ([T18]). Without the space's
   * admin secret (its admin box has not reached this device), send the ops under the roster key
   * so that a group admin heals ([T8]); members hold back their writes until then ([T7]).
   */
  private async rotateAfterChange(space: ConvId): Promise<void> {
    const graph = this.spaces.graph(space)
    const prev = this.spaces.state(space)!.epochs.at(-1)
    if (this.core.isMember(space) || this.spaces.meta(space)?.kind === 'org' || this.spaces.keysOf(space).adminSecret) await this.core.rotateAndSend(space)
    else await this.core.send(space, undefined, undefined, graph.order().filter((op) => !prev || !graph.ancestors(prev.op).has(op.id)))
    await this.core.apply(space)
  }

  private requireAdmin(space: ConvId): void {
    if (!this.spaces.meta(space)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    if (!this.core.canAdmin(space)) throw new ClientError(ClientErrorCode.NOT_ADMIN)
  }
}

const hexToDevice = (hex: string): DeviceId => deviceIdOf(fromHex(hex)!)

export function newUserId(): string {
  return toBase64Url(randomBytes(12))
}
