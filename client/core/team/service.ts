import * as z from 'zod'
import { fromHex, randomBytes, toHex, type EpochKey } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import type { SyncEngine } from '../sync/engine.js'
import { ClientErrorCode, type ClientErrorCode as Code } from '../errors.js'
import type { Identity } from '../identity.js'
import type { MailOutbox } from '../outbox/mailOutbox.js'
import type { Registry } from '../conversations/registry.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { BUNDLE_BYTES, inParts, openBundle, parseBundle, rotationBoxBytes, sealBundle, type HeldRoster, type OuterBundle } from './bundle.js'
import type { Epoch } from './epochs.js'
import type { GroupState } from './group.js'
import type { Op, OpBody } from './ops.js'
import { EpochMembers } from './epochMembers.js'
import { openJoinRefusal, openJoinRequest, sealJoinRefusal, sealJoinRequest, type JoinRefusal, type JoinRequest, type OrgInvitation } from './orgInvite.js'
import type { OrgState } from './org.js'
import { makeRotation, type RotationBoxes } from './rotation.js'
import { missingLinks } from './links.js'
import { ProxyRotations } from './proxy.js'
import { ServerRegistration } from './registration.js'
import { Spaces, type SpaceMeta } from './spaces.js'
import type { WipeReason } from '../wipe/tombstone.js'

export interface TeamDeps {
  readonly store: LocalStore
  readonly identity: Identity
  readonly registry: Registry
  readonly engine: SyncEngine
  readonly mailOut: MailOutbox
  /** A space's membership, name or keys changed (refresh what shows it). */
  readonly changed: (space: ConvId) => void
  readonly problem: (code: Code, detail?: string) => void
  /** [T10] This device was removed from a space (by a signed op it received), or is in again. */
  readonly removed: (space: ConvId, removed: boolean) => void
  /** Bytes of ops per bundle part (tests make it small); default BUNDLE_BYTES. */
  readonly bundleBytes?: number
  /**
   * [M30] The organisation's resolved graph says this device was removed from it (its device, or
   * its person): its data here is to be wiped. Resolves once the wipe is durably due.
   */
  readonly orgRemoved?: (org: ConvId, reason: WipeReason) => Promise<void>
  /** [M30] This device wiped an organisation lately: a bundle that does not open is most likely its late mail. */
  readonly recentlyWiped?: () => boolean
}

/** The decoy pool key of an organisation for its mail (crypto [K8]), when its graph has one. */
const poolOfOrg = (state: OrgState | undefined) => (state?.decoySeed ? { pool: state.decoySeed } : {})

const pendingSchema = z.object({ user: z.string(), name: z.string(), invite: z.string(), orgName: z.string(), admin: z.string(), device: z.boolean().optional(), conversation: z.boolean().optional(), pool: z.string().optional() })

/**
 * [T13] Organisations and groups on this device: applies what the graphs resolve to (keys,
 * epoch to write under, hold, removal) to the conversation registry, heals ([T8]), and sends
 * every op it makes to the devices that must learn it in bundles. All team work is serialised.
 */
export class TeamCore {
  readonly spaces: Spaces
  readonly proxies: ProxyRotations
  readonly server: ServerRegistration
  private queue: Promise<unknown> = Promise.resolve()
  /** Pieces of team work queued or running ([T19]: no removal notice leaves meanwhile). */
  private working = 0
  private readonly pendingJoins = new Map<ConvId, z.infer<typeof pendingSchema>>()

  constructor(readonly deps: TeamDeps) {
    this.spaces = new Spaces(deps.store, deps.identity.keys)
    this.server = new ServerRegistration({ spaces: this.spaces, registry: deps.registry, engine: deps.engine, me: this.spaces.me })
    this.proxies = new ProxyRotations({
      store: deps.store,
      engine: deps.engine,
      secrets: (space, from, epoch) => this.server.adminSecretsFor(space, from, epoch),
      before: (space, a, b) => this.server.epochBefore(space, a, b),
    })
  }

  get me(): string {
    return this.spaces.me
  }

  async load(): Promise<void> {
    await this.spaces.load()
    for (const e of await this.deps.store.range(['org-join'])) {
      const rec = decodeRecord(e.value, pendingSchema)
      if (rec) this.pendingJoins.set(e.key[1] as ConvId, rec)
    }
    await this.run(async () => {
      for (const space of this.spaces.list()) await this.apply(space)
      await this.proxies.load()
    })
  }

  /** Settles once the team work queued so far is done. */
  settled(): Promise<void> {
    return this.queue.then(() => undefined)
  }

  /** Runs team work one piece at a time (ops, rotations and registry changes must not interleave). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.working++
    const next = this.queue.then(fn).finally(() => {
      // [T19] The work that may have held a removal notice is done: send what may go now.
      if (--this.working === 0) void this.deps.engine.flushMail()
    })
    this.queue = next.catch(() => undefined)
    return next
  }

  /**
   * [M26] `device` (hex) was a member device of `epoch` in the space's graph: a recipient of its
   * rotation, not removed concurrently with it (epochMembers.ts); undefined outside spaces.
   * `recipientOnly`: whether its rotation sealed the key to it at all — what a receiver requires
   * to apply an envelope (a change every other member also refuses, so no later change of theirs
   * depends on it); a concurrent removal only hides what it wrote, since others may have applied
   * it before the removal reached them and built on it.
   */
  memberOfEpoch(space: ConvId, epoch: number, device: string, recipientOnly = false): boolean | undefined {
    const meta = this.spaces.meta(space)
    const state = meta && this.spaces.state(space)
    if (!meta || !state) return undefined
    if (recipientOnly) return this.epochMembers.recipient(state, epoch, device)
    return this.epochMembers.member(state, this.spaces.graph(space), this.spaces.org(meta.org).bindings, epoch, device)
  }

  private readonly epochMembers = new EpochMembers()

  /**
   * [T19] Removal notices may leave: no team work is under way (a removal from the organisation
   * rotates every group of the person in one piece of work), and the server holds every rotation
   * this device made — its own current epochs, and its proxy rotations. Until then a removed
   * device cannot learn from this device that it is out while the server still takes its pushes.
   */
  noticesMayGo(): boolean {
    if (this.working > 0 || this.proxies.pending > 0) return false
    return this.spaces.list().every((space) => this.registered(space))
  }

  private registered(space: ConvId): boolean {
    const current = this.spaces.state(space)?.current
    if (!current || this.spaces.graph(space).get(current.op)?.author !== this.me) return true
    const server = this.deps.registry.get(space)?.serverEpoch
    // Not a member (no record): a proxy rotation, counted in `proxies.pending`.
    if (!this.deps.registry.get(space)) return true
    return server !== undefined && (server === current.epoch || this.server.epochBefore(space, current.epoch, server))
  }

  pendingJoin(org: ConvId): { orgName: string } | undefined {
    return this.pendingJoins.get(org)
  }

  /** `device`: the answer to a device link ([T17]), not to an invitation of a new person. */
  pendingJoinList(): { org: ConvId; orgName: string; device: boolean; conversation: boolean }[] {
    return [...this.pendingJoins].map(([org, p]) => ({ org, orgName: p.orgName, device: !!p.device, conversation: !!p.conversation }))
  }

  /** The invitee gives up waiting: a later bundle for that space is refused (M506). */
  cancelJoin(org: ConvId): Promise<void> {
    return this.clearPending(org)
  }

  // ---- what the graphs say ----------------------------------------------------------------

  isMember(space: ConvId): boolean {
    return this.spaces.state(space)?.devices.includes(this.me) ?? false
  }

  /** This device may make admin ops and rotations in the space. */
  canAdmin(space: ConvId): boolean {
    return this.spaces.state(space)?.adminDevices.includes(this.me) ?? false
  }

  /** Display names by device, removed people included (what they wrote keeps their name). */
  deviceNames(org: ConvId): Map<string, string> {
    // Read on every render of a conversation: computed once per version of the graph.
    const graph = this.spaces.graph(org)
    const hit = this.names.get(org)
    if (hit?.version === graph.version) return hit.names
    const names = new Map<string, string>()
    const users = new Map<string, string>()
    for (const op of graph.order()) {
      const b = op.body
      if (b.kind === 'create-org' || b.kind === 'admit') users.set(b.user, b.userName)
    }
    for (const [d, u] of this.spaces.org(org).bindings) names.set(d, users.get(u) ?? 'Unknown')
    this.names.set(org, { version: graph.version, names })
    return names
  }

  private readonly names = new Map<ConvId, { version: number; names: Map<string, string> }>()

  // ---- applying state ---------------------------------------------------------------------

  /**
   * Brings the registry in line with the space's graph; heals when this device is the admin to do
   * it: a member admin, or an admin outside the space that just acted on it (`acting`) or that
   * the space has no member admin but ([T8], [T18]).
   */
  async apply(space: ConvId, heal = true, acting = false): Promise<void> {
    const meta = this.spaces.meta(space)
    const state = this.spaces.state(space)
    if (!meta || !state) return
    const { keys, adminSecret } = this.spaces.keysOf(space)
    const member = state.devices.includes(this.me)
    const healer = member || acting || !state.adminDevices.some((d) => state.devices.includes(d))
    if (heal && healer && adminSecret && state.adminDevices.includes(this.me) && state.needsRotation && this.complete(space, meta)) {
      await this.rotateAndSend(space)
      return this.apply(space, false)
    }
    const rec = this.deps.registry.get(space)
    if (!member) {
      // [M30] Only the resolved organisation counts: a removal the resolver rejected changes nothing.
      const wipe = meta.kind === 'org' ? this.removalOf(space) : undefined
      if (wipe) await this.deps.orgRemoved?.(space, wipe)
      if (rec && this.removedBySignedOp(space, meta)) this.deps.removed(space, true)
      this.deps.changed(space)
      return
    }
    if (meta.kind === 'org') await this.clearPending(space)
    const current = state.current
    const key = current && keys.get(current.epoch)
    if (!rec) {
      if (!current || !key) return
      const origin = this.spaces.originOf(space)
      await this.deps.registry.put({
        conv: space, title: state.name, epoch: current.epoch, keys, joinedAt: Date.now(), space: meta, ...(adminSecret ? { adminSecret } : {}), ...(origin ? { origin } : {}),
      })
      await this.deps.engine.track(space)
    } else {
      const epoch = current && key ? current.epoch : rec.epoch
      const moved = epoch !== rec.epoch
      const rekey = !!adminSecret && this.server.shouldRekey(space, current, rec.serverEpoch)
      await this.deps.registry.update(space, (r) => ({
        ...r,
        title: state.name || r.title,
        keys: new Map([...r.keys, ...keys]),
        epoch,
        hold: !(current && key),
        ...(adminSecret ? { adminSecret } : {}),
        // Only the device that made the current rotation registers it on the server ([S10]);
        // a device catching up never rekeys to an epoch that others may have moved past.
        rekeyPending: rekey,
      }))
      if (moved || (rekey && !rec.rekeyPending)) {
        await this.deps.engine.flushMail()
        await this.deps.engine.rejoin(space)
      }
      this.deps.engine.requestFlush()
      await this.deps.engine.retryKeys(space)
    }
    if (state.adminDevices.includes(this.me)) await this.writeLinks(space, state, keys)
    this.deps.removed(space, false)
    this.deps.changed(space)
  }

  /** [T18] As a member admin, link every key of the history that the chains do not reach from the current one. */
  private async writeLinks(space: ConvId, state: OrgState | GroupState, keys: ReadonlyMap<number, EpochKey>): Promise<void> {
    const open = (op: Op, epoch: number, key: EpochKey) => this.spaces.chainOf(space, op, epoch, key)
    const ops: Op[] = []
    for (const body of missingLinks(space, this.spaces.graph(space), state, keys, open, this.me)) ops.push(await this.spaces.sign(space, body))
    if (ops.length) await this.send(space, undefined, undefined, ops)
  }

  /**
   * Apply a space and, for an organisation, every group of it (their members depend on it).
   * `acting`: this device just changed the organisation, so it rotates every group that needs it,
   * members or not (a departed person is cut off everywhere at once, [T5][T18]).
   */
  async applyAll(space: ConvId, acting = false): Promise<void> {
    await this.apply(space)
    if (this.spaces.meta(space)?.kind !== 'org') return
    for (const g of this.spaces.list()) if (this.spaces.meta(g)?.kind === 'group' && this.spaces.meta(g)?.org === space) await this.apply(g, true, acting)
  }

  /** No gaps: every op's parents and every rotation's organisation heads are here (else healing waits). */
  private complete(space: ConvId, meta: SpaceMeta): boolean {
    const g = this.spaces.graph(space)
    const orgGraph = this.spaces.graph(meta.org)
    if (g.missing > 0 || orgGraph.missing > 0) return false
    return g.all().every((op) => op.body.kind !== 'rotate' || !op.body.org || op.body.org.every((h) => orgGraph.has(h as never)))
  }

  /**
   * [M30] Why this device is out of an organisation, as its resolved graph says: its device was
   * removed (by its person or an admin), or its person was. Undefined when it is not removed (a
   * device that was never admitted, an answer still waiting, or a removal the resolver voided).
   */
  private removalOf(org: ConvId): WipeReason | undefined {
    const state = this.spaces.org(org)
    if (!state.removedDevices.has(this.me)) return undefined
    const user = state.bindings.get(this.me)
    return user !== undefined && state.removedUsers.has(user) ? 'person-removed' : 'device-removed'
  }

  private removedBySignedOp(space: ConvId, meta: SpaceMeta): boolean {
    const org = this.spaces.org(meta.org)
    return org.removedDevices.has(this.me) || (meta.kind === 'group' && this.spaces.graph(space).size > 0)
  }

  private async clearPending(org: ConvId): Promise<void> {
    if (!this.pendingJoins.delete(org)) return
    await this.deps.store.write([{ key: ['org-join', org], value: undefined }])
  }

  // ---- making and sending ops --------------------------------------------------------------

  async sign(space: ConvId, body: OpBody): Promise<Op> {
    return this.spaces.sign(space, body)
  }

  /** A new epoch for the space's current members and admins, sent with every op they may lack. */
  async rotateAndSend(space: ConvId, fresh?: Uint8Array): Promise<void> {
    const meta = this.spaces.meta(space)!
    const state = this.spaces.state(space)!
    const org = this.spaces.org(meta.org)
    const { keys, adminSecret } = this.spaces.keysOf(space)
    // Only an admin holding the current admin secret (or the creator) rotates; each rotation
    // makes a fresh admin secret, so a demoted or removed admin's secret stops working ([K4]).
    if (!adminSecret && !fresh) return
    const secret = randomBytes(32)
    const prev = state.epochs[state.epochs.length - 1]
    const history = meta.kind === 'org' || (state as GroupState).history
    // The chain carries the newest epoch this device holds (tainted or not: it only gives history).
    const chainFrom = [...state.epochs].reverse().find((e) => keys.has(e.epoch))
    const prevKey = chainFrom && keys.get(chainFrom.epoch)
    const { body, boxes, key, adminKey } = await makeRotation({
      space,
      existing: new Set(state.epochs.map((e) => e.epoch)),
      members: state.devices.map((d) => boxOf(org, d)),
      admins: state.adminDevices.map((d) => boxOf(org, d)),
      adminSecret: secret,
      ...(history && chainFrom && prevKey ? { previous: { epoch: chainFrom.epoch, key: prevKey } } : {}),
      ...(meta.kind === 'group' ? { orgHeads: this.spaces.graph(meta.org).heads() } : {}),
    })
    const op = await this.spaces.sign(space, body, boxes)
    // [T18] Outside the space (an organisation admin acting on a group), this device registers
    // the rotation on the server itself and keeps nothing of the new key but its capability.
    // Before the bundles, so that the removal notice among them waits for it ([T19]).
    if (!this.isMember(space) && prev) await this.proxies.register(space, prev.epoch, body.epoch, key)
    try {
      await this.send(space, { op, boxes, epochKey: key, adminKey }, prev)
    } finally {
      adminKey.fill(0)
    }
  }

  /**
   * [T13] Bundles: devices that knew the previous epoch get the ops since it; newcomers get the
   * whole graph; devices that are out get the ops since it under the previous roster key, so
   * their app learns from a signed op that they were removed.
   */
  async send(space: ConvId, rotation?: { op: Op; boxes: RotationBoxes; epochKey: EpochKey; adminKey: EpochKey }, prev?: Epoch, ops: readonly Op[] = []): Promise<void> {
    const meta = this.spaces.meta(space)!
    const state = this.spaces.state(space)!
    const { rosters } = this.spaces.keysOf(space)
    const graph = this.spaces.graph(space)
    const everyone = new Set([...state.devices, ...state.adminDevices])
    everyone.delete(this.me)
    const base = { space, kind: meta.kind, org: meta.org }
    // A bundle bigger than a mail item allows goes in parts, each with the rotation (a device
    // opens any part alone); ops whose parents are in a later part wait in the graph ([T13]).
    const mailboxes = this.spaces.org(meta.org).mailboxes
    const post = async (to: Iterable<string>, b: Omit<Parameters<typeof sealBundle>[0], 'ops'>, list: readonly Op[], notice = false) => {
      // [K7] to each device's mailbox address from the signed directory, never to its device key.
      const devices = [...to].flatMap((d) => mailboxes.get(d) ?? [])
      if (!devices.length) return
      const budget = Math.max(64 * 1024, (this.deps.bundleBytes ?? BUNDLE_BYTES) - (b.rotation ? rotationBoxBytes(b.rotation.boxes) + b.rotation.op.wire.bytes.length : 0))
      const bodies: Uint8Array[] = []
      for (const part of inParts(list, this.deps.bundleBytes ? this.deps.bundleBytes : budget)) bodies.push(await sealBundle({ ...b, ops: part }))
      await this.deps.mailOut.add(bodies.map((body) => ({ to: devices, body, ...(notice ? { notice: true as const } : {}), ...poolOfOrg(this.spaces.org(meta.org)), org: meta.org })))
    }
    if (!rotation || rotation.op.body.kind !== 'rotate') {
      const e = state.current ?? state.epochs[state.epochs.length - 1]
      const key = e ? rosters.get(e.epoch) : undefined
      // Only devices that hold that roster key can open it; a device added since waits for the rotation.
      const holders = new Set([...(e?.recipients ?? []), ...(e?.admins ?? [])])
      if (key) await post([...everyone].filter((d) => holders.has(d)), { ...base, epoch: e!.epoch, key }, ops)
    } else {
      const epoch = rotation.op.body.epoch
      const key = rosters.get(epoch)
      if (!key) return
      // Earlier rotations travel without their boxes ([T16]): nobody new can open them anyway.
      const all = graph.order().filter((op) => op.id !== rotation.op.id)
      const before = prev ? new Set([prev.op, ...graph.ancestors(prev.op)]) : new Set<string>()
      const delta = all.filter((op) => !before.has(op.id))
      const knew = new Set(prev ? [...prev.recipients, ...prev.admins] : [])
      const old = [...everyone].filter((d) => knew.has(d))
      const fresh = [...everyone].filter((d) => !knew.has(d))
      await post(old, { ...base, epoch, key, rotation }, delta)
      await post(fresh, { ...base, epoch, key, rotation }, all)
      const gone = [...knew].filter((d) => !everyone.has(d) && d !== this.me)
      const prevKey = prev && rosters.get(prev.epoch)
      // [T19] A removal notice: held until the server has the rotation that cuts these devices off.
      if (gone.length && prev && prevKey) await post(gone, { ...base, epoch: prev.epoch, key: prevKey }, delta, true)
    }
    await this.deps.engine.flushMail()
  }

  // ---- receiving ---------------------------------------------------------------------------

  /**
   * A mailbox item: a bundle, a join request or a refusal of one; false when it is none of them.
   * `pool`: the decoy pool key of the organisation it is for (crypto [K8]), when this device
   * knows it, for the server to remove the item's decoys in step with the reads ([S11]).
   */
  async onMail(body: Uint8Array): Promise<false | { pool?: Uint8Array }> {
    const poolOf = (org: ConvId | undefined) => {
      const seed = org && this.spaces.meta(org)?.kind === 'org' ? this.spaces.org(org).decoySeed : undefined
      return seed ? { pool: seed } : {}
    }
    const bundle = parseBundle(body)
    if (bundle) return poolOf(await this.run(() => this.onBundle(bundle)))
    const request = await openJoinRequest(body, this.deps.identity.keys)
    if (request) {
      await this.run(() => this.onJoinRequest(request))
      return poolOf(request.org)
    }
    const refusal = await openJoinRefusal(body, this.deps.identity.keys)
    if (refusal) {
      const pool = this.pendingJoins.get(refusal.org)?.pool
      await this.run(() => this.onJoinRefusal(refusal))
      return pool ? { pool: fromHex(pool)! } : {}
    }
    return false
  }

  /** [T12] The inviting device refused this device's answer: stop waiting, and say why. */
  private async onJoinRefusal(refusal: JoinRefusal): Promise<void> {
    const pending = this.pendingJoins.get(refusal.org)
    // Only the device the invitation named, about the invitation this device answered.
    if (!pending || pending.invite !== refusal.invite || pending.admin !== refusal.signedBy || this.isMember(refusal.org)) return
    await this.clearPending(refusal.org)
    this.deps.problem(ClientErrorCode.INVITE_REFUSED, `${pending.orgName}: ${refusal.reason}`)
    this.deps.changed(refusal.org)
  }

  /** The organisation the bundle was for, once it opened. */
  private async onBundle(outer: OuterBundle): Promise<ConvId | undefined> {
    // [T20] A bundle names nothing in the clear: open it first (this device's box in a rotation,
    // or a roster key it holds), then check what it is for.
    const held: HeldRoster[] = []
    for (const space of this.spaces.list()) for (const [epoch, key] of this.spaces.keysOf(space).rosters) held.push({ space, epoch, key })
    const bundle = await openBundle(outer, held, this.deps.identity.keys.boxSecret)
    // [M30] After a wipe, the keys that opened the organisation's late mail (its groups' removal
    // notices, ops sent before the removal) are gone: such mail is let go without an alarm.
    if (!bundle) return this.deps.recentlyWiped?.() ? undefined : void this.deps.problem(ClientErrorCode.TEAM_REFUSED, 'a membership bundle did not open')
    const org = bundle.kind === 'org' ? bundle.space : bundle.org
    const meta = this.spaces.meta(bundle.space)
    if (meta && (meta.kind !== bundle.kind || meta.org !== org)) return void this.deps.problem(ClientErrorCode.TEAM_REFUSED, 'bundle for the wrong space')
    if (!meta) {
      // Only an organisation this device asked to join, or a group of an organisation it is in.
      const expected = bundle.kind === 'org' ? this.pendingJoins.has(org) : this.spaces.meta(org)?.kind === 'org' && this.isMember(org)
      if (!expected) return void this.deps.problem(ClientErrorCode.TEAM_REFUSED, 'bundle for a space this device did not ask for')
    }
    if (!meta) await this.spaces.setMeta(bundle.space, { kind: bundle.kind, org })
    await this.spaces.receive(bundle.wires, bundle.space)
    if (this.spaces.graph(bundle.space).missing > 0) this.deps.problem(ClientErrorCode.TEAM_GAP)
    await this.applyAll(bundle.space)
    return org
  }

  /** [T12] An admin device checks an answer to its invitation, then admits and rotates. */
  private async onJoinRequest(req: JoinRequest): Promise<void> {
    const org = req.org
    const state = this.spaces.meta(org)?.kind === 'org' ? this.spaces.org(org) : undefined
    const inv = state?.invites.get(req.invite)
    // [T17] a device link is answered by the person's own device (or an admin); an invitation by an admin.
    const mine = state?.bindings.get(this.me)
    const mayAnswer = !!inv && (this.canAdmin(org) || (inv.user !== undefined && inv.user === mine && this.isMember(org)))
    // Mail is delivered at least once: the same answer again, for a device this invitation
    // already let in, is a repeat, not a refusal.
    if (inv?.used && state?.bindings.get(toHex(req.device)) === (inv.user ?? req.user)) return
    const reason = !state || !inv
      ? 'unknown invitation'
      : !mayAnswer ? 'not an admin of that organisation'
      : toHex(inv.key) !== req.signedBy ? 'not signed with the invitation'
      : inv.revoked ? 'invitation revoked'
      : inv.used ? 'invitation already used'
      : Date.now() > inv.expires ? 'invitation expired'
      : state.bindings.has(toHex(req.device)) ? 'device already enrolled'
      : inv.user === undefined && state.users.has(req.user) ? 'person already enrolled'
      : inv.user !== undefined && req.user !== inv.user ? 'a device link answered for another person'
      : undefined
    if (reason) {
      this.deps.problem(ClientErrorCode.INVITE_REFUSED, reason)
      // The holder of the link (the answer is signed with its key) learns why, instead of waiting
      // for ever; an answer not signed with the invitation gets nothing back.
      if (inv && toHex(inv.key) === req.signedBy && mayAnswer) {
        await this.deps.mailOut.add([{ to: [req.mailbox], body: await sealJoinRefusal(req, reason, this.deps.identity.keys), ...poolOfOrg(state), org }])
        await this.deps.engine.flushMail()
      }
      return
    }
    const op = inv!.user === undefined
      ? await this.spaces.sign(org, { kind: 'admit', user: req.user, userName: req.name, device: req.device, box: req.box, mailbox: req.mailbox, invite: req.invite })
      : await this.spaces.sign(org, { kind: 'add-device', user: req.user, device: req.device, box: req.box, mailbox: req.mailbox, invite: req.invite })
    // An admin rotates at once; a person linking their own device leaves it to an admin ([T8]).
    if (this.canAdmin(org)) await this.rotateAndSend(org)
    else await this.send(org, undefined, undefined, [op])
    await this.applyAll(org)
  }

  /** The invitee's side: remember the request (to accept the organisation's bundle), then mail it. */
  async requestJoin(inv: OrgInvitation, user: string): Promise<void> {
    const pending = { user, name: this.deps.identity.name, invite: inv.invite, orgName: inv.name, admin: toHex(inv.admin), ...(inv.user ? { device: true } : {}), ...(inv.conversation ? { conversation: true } : {}), ...(inv.decoySeed ? { pool: toHex(inv.decoySeed) } : {}) }
    await this.deps.store.write([{ key: ['org-join', inv.org], value: encodeRecord(pending) }])
    this.pendingJoins.set(inv.org, pending)
    const body = await sealJoinRequest(inv, user, this.deps.identity.name, this.deps.identity.keys)
    await this.deps.mailOut.add([{ to: [inv.adminMailbox], body, ...(inv.decoySeed ? { pool: inv.decoySeed } : {}), org: inv.org }])
    await this.deps.engine.flushMail()
  }
}

function boxOf(org: OrgState, device: string): Uint8Array {
  const user = org.bindings.get(device)
  const box = user ? org.users.get(user)?.devices.get(device) : undefined
  if (!box) throw new Error(`no box key for device ${device.slice(0, 8)}`)
  return box
}
