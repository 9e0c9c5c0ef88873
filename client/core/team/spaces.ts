import * as z from 'zod'
import { createSigner, findEpochKey, openChain, openUnder, toHex, type DeviceKeys, type EpochKey, type Signer } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { OpGraph } from './graph.js'
import { resolveGroup, type GroupState } from './group.js'
import { isGenesisOf, readOp, signOp, type Op, type OpBody, type OpId } from './ops.js'
import { resolveOrg, type OrgState } from './org.js'
import { openRotation, readBoxes, type OpenedRotation, type RotationBoxes } from './rotation.js'
import { boxContext, boxTag } from './contexts.js'
import { chainSources } from './links.js'
import type { Epoch } from './epochs.js'

export type SpaceKind = 'org' | 'group'
export interface SpaceMeta {
  readonly kind: SpaceKind
  /** The organisation a group belongs to (an organisation's own id for itself). */
  readonly org: ConvId
}
/** An op as it travels: bytes, signature, and for a rotation possibly its detached boxes ([T16]). */
export interface OpWire { readonly b: Uint8Array; readonly s: Uint8Array; readonly x?: Uint8Array }

/** This device's own boxes of a rotation, with their indexes: all it ever needs of them. */
interface MyBoxes { readonly m?: readonly [number, Uint8Array]; readonly a?: readonly [number, Uint8Array] }
const myBoxesSchema = z.object({ m: z.tuple([z.number().int(), z.instanceof(Uint8Array)]).optional(), a: z.tuple([z.number().int(), z.instanceof(Uint8Array)]).optional() })

const metaSchema = z.object({ kind: z.enum(['org', 'group']), org: z.string().min(1).max(64) })
const wireSchema = z.object({ b: z.instanceof(Uint8Array), s: z.instanceof(Uint8Array) })

/** What this device can open of a space's epochs ([T9]): keys by epoch, and the admin secret. */
export interface SpaceKeys {
  readonly keys: Map<number, EpochKey>
  /** Roster keys by epoch: what membership bundles of that epoch are sealed under ([T13]). */
  readonly rosters: Map<number, Uint8Array>
  /** The newest admin secret this device holds (its device is an admin of the newest such epoch). */
  readonly adminSecret: Uint8Array | undefined
  /** Admin secrets by epoch: each rotation makes a fresh one, so a demoted admin's goes stale. */
  readonly adminSecrets: Map<number, Uint8Array>
}

/**
 * The membership graphs of the spaces (organisations, groups) this device knows, kept in local
 * storage op by op, and what they resolve to. Ops arrive in any order from bundles ([T13]) or
 * are made here; every op is checked (schema, signature) before it is stored.
 */
export class Spaces {
  private readonly graphs = new Map<ConvId, OpGraph>()
  private readonly metas = new Map<ConvId, SpaceMeta>()
  private readonly opened = new Map<OpId, OpenedRotation>()
  private readonly chains = new Map<OpId, { epoch: number; key: EpochKey }>()
  private readonly signer: Signer
  readonly me: string

  constructor(
    private readonly store: LocalStore,
    private readonly keys: DeviceKeys,
  ) {
    this.signer = createSigner(keys.signSecret)
    this.me = toHex(keys.signPublic)
  }

  async load(): Promise<void> {
    for (const e of await this.store.range(['space'])) {
      const meta = decodeRecord(e.value, metaSchema)
      if (meta) this.metas.set(e.key[1] as ConvId, { kind: meta.kind, org: meta.org as ConvId })
    }
    for (const e of await this.store.range(['team-box'])) {
      const mine = decodeRecord(e.value, myBoxesSchema)
      if (mine) this.myBoxes.set(e.key[2] as OpId, mine)
    }
    for (const e of await this.store.range(['team-key'])) {
      const epoch = Number(e.key[2])
      if (e.value.length !== 32 || !Number.isSafeInteger(epoch)) continue
      const space = e.key[1] as ConvId
      if (!this.imported.has(space)) this.imported.set(space, new Map())
      this.imported.get(space)!.set(epoch, e.value as EpochKey)
    }
    for (const e of await this.store.range(['team-op'])) {
      const w = decodeRecord(e.value, wireSchema)
      const op = w && (await readOp(w.b, w.s))
      if (op) this.graph(op.space as ConvId).add(op)
    }
  }

  list(): ConvId[] {
    return [...this.metas.keys()]
  }

  meta(space: ConvId): SpaceMeta | undefined {
    return this.metas.get(space)
  }

  async setMeta(space: ConvId, meta: SpaceMeta): Promise<void> {
    if (this.metas.get(space)) return
    this.metas.set(space, meta)
    await this.store.write([{ key: ['space', space], value: encodeRecord(meta) }])
  }

  graph(space: ConvId): OpGraph {
    let g = this.graphs.get(space)
    if (!g) this.graphs.set(space, (g = new OpGraph(space)))
    return g
  }

  /** The origin of a space this device created (its first op's nonce), to register it ([S3], [K6]). */
  originOf(space: ConvId): Uint8Array | undefined {
    const first = this.graph(space).all().find((op) => op.parents.length === 0)
    const b = first?.body
    return first && first.author === this.me && (b?.kind === 'create-org' || b?.kind === 'create-group') ? b.nonce : undefined
  }

  /** Verifies and stores ops of `space` received from elsewhere; returns those that were new. */
  async receive(wires: readonly OpWire[], space: ConvId): Promise<Op[]> {
    const added: Op[] = []
    for (const w of wires) {
      const op = await readOp(w.b, w.s)
      if (!op || op.space !== space || !this.metas.has(space)) continue
      // Detached boxes count only when they match what the rotation signs ([T16]).
      const boxes = w.x && op.body.kind === 'rotate' ? readBoxes(w.x, op.body) : undefined
      if (boxes && !this.myBoxes.has(op.id)) await this.keepMine(op, boxes)
      const g = this.graph(op.space as ConvId)
      if (g.has(op.id) || (op.parents.length === 0 && !isGenesisOf(op))) continue
      g.add(op)
      added.push(op)
      if (boxes) await this.keepRecovery(op, boxes)
    }
    await this.persist(added)
    return added
  }


  /** Signs an op of this device at the space's heads and stores it (with its boxes, for a rotation). */
  async sign(space: ConvId, body: OpBody, boxes?: RotationBoxes): Promise<Op> {
    const g = this.graph(space)
    const op = await signOp(this.signer, space, g.heads(), body)
    g.add(op)
    if (boxes) await this.keepMine(op, boxes)
    await this.persist([op])
    if (boxes) await this.keepRecovery(op, boxes)
    return op
  }

  /** [M32] Epoch keys a recovery blob brought (the recovering device was no recipient of their rotations). */
  private readonly imported = new Map<ConvId, Map<number, EpochKey>>()

  /** [M32] This person's recovery device (hex signing key): its boxes are kept too, for the recovery blob. */
  recoveryDevice: string | undefined

  /**
   * [M32] Of a rotation's boxes, the recovery device's (at the index the resolver gives it, as
   * [T9] orders them): sealed to the recovery device, opaque here, copied into the recovery blob
   * so that the device restored from it opens every epoch it was a recipient of.
   */
  private async keepRecovery(op: Op, boxes: RotationBoxes): Promise<void> {
    const device = this.recoveryDevice
    if (!device || op.body.kind !== 'rotate') return
    const e = this.state(op.space as ConvId)?.epochs.find((x) => x.op === op.id)
    if (!e) return
    const m = e.recipients.indexOf(device)
    const a = e.admins.indexOf(device)
    const kept: MyBoxes = { ...(m >= 0 && boxes.members[m] ? { m: [m, boxes.members[m]!] as const } : {}), ...(a >= 0 && boxes.admins[a] ? { a: [a, boxes.admins[a]!] as const } : {}) }
    if (kept.m || kept.a) await this.store.write([{ key: ['team-rbox', op.space, op.id], value: encodeRecord(kept) }])
  }

  /** [M32] The recovery device's boxes kept for a space: op id → its member and admin boxes. */
  async recoveryBoxes(space: ConvId): Promise<{ op: string; m?: readonly [number, Uint8Array]; a?: readonly [number, Uint8Array] }[]> {
    const out = []
    for (const e of await this.store.range(['team-rbox', space])) {
      const kept = decodeRecord(e.value, myBoxesSchema)
      if (kept) out.push({ op: e.key[2]!, ...kept })
    }
    return out
  }

  private readonly myBoxes = new Map<OpId, MyBoxes>()

  /** [T16] Of a rotation's boxes, this device keeps the ones that open for it (found by trial). */
  private async keepMine(op: Op, boxes: RotationBoxes): Promise<void> {
    const b = op.body
    if (b.kind !== 'rotate') return
    const space = op.space as ConvId
    const m = findEpochKey({ ephemeral: b.ephemeral, boxes: boxes.members }, this.keys.boxSecret, boxTag(space, b.epoch, 'key'))
    const a = b.admins ? findEpochKey({ ephemeral: b.admins.ephemeral, boxes: boxes.admins }, this.keys.boxSecret, boxTag(space, b.epoch, 'admin')) : undefined
    const mine: MyBoxes = { ...(m.ok ? { m: [m.value.index, boxes.members[m.value.index]!] as const } : {}), ...(a?.ok ? { a: [a.value.index, boxes.admins[a.value.index]!] as const } : {}) }
    if (!mine.m && !mine.a) return
    this.myBoxes.set(op.id, mine)
    this.opened.delete(op.id)
    await this.store.write([{ key: ['team-box', space, op.id], value: encodeRecord(mine) }])
  }

  private async persist(ops: readonly Op[]): Promise<void> {
    if (ops.length) await this.store.write(ops.map((op) => ({ key: ['team-op', op.space, op.id], value: encodeRecord({ b: op.wire.bytes, s: op.wire.sig }) })))
  }

  private readonly resolved = new Map<ConvId, { key: string; state: OrgState | GroupState }>()

  /** Resolved once per graph version: the UI asks often, the graphs change rarely. */
  private cached<S extends OrgState | GroupState>(space: ConvId, key: string, resolve: () => S): S {
    const hit = this.resolved.get(space)
    if (hit?.key === key) return hit.state as S
    const state = resolve()
    this.resolved.set(space, { key, state })
    return state
  }

  org(org: ConvId): OrgState {
    const g = this.graph(org)
    return this.cached(org, `${g.version}`, () => resolveOrg(g))
  }

  group(group: ConvId): GroupState | undefined {
    const meta = this.metas.get(group)
    if (meta?.kind !== 'group') return undefined
    const g = this.graph(group)
    const o = this.graph(meta.org)
    return this.cached(group, `${g.version}/${o.version}`, () => resolveGroup(g, this.org(meta.org), o))
  }

  /** The resolved epochs of a space, whichever kind it is. */
  state(space: ConvId): OrgState | GroupState | undefined {
    const meta = this.metas.get(space)
    if (!meta) return undefined
    return meta.kind === 'org' ? this.org(space) : this.group(space)
  }

  /** The user this device is in an organisation, if admitted. */
  myUser(org: ConvId): string | undefined {
    return this.org(org).bindings.get(this.me)
  }

  /** Every epoch key, roster key and the admin secret this device can open, from valid rotations only ([T6]). */
  keysOf(space: ConvId): SpaceKeys {
    const state = this.state(space)
    const keys = new Map<number, EpochKey>()
    const rosters = new Map<number, Uint8Array>()
    let adminSecret: Uint8Array | undefined
    const adminSecrets = new Map<number, Uint8Array>()
    for (const e of state?.epochs ?? []) {
      const opened = this.open(space, e)
      if (opened.chain && !keys.has(opened.chain.epoch)) keys.set(opened.chain.epoch, opened.chain.key)
      if (opened.key) keys.set(e.epoch, opened.key)
      if (opened.roster) rosters.set(e.epoch, opened.roster)
      if (opened.adminSecret) adminSecrets.set(e.epoch, (adminSecret = opened.adminSecret))
    }
    // [M32] Keys a recovery blob brought, for epochs no box opened: only a key that opens what the
    // signed rotation sealed under its epoch's key (its roster key) is taken — the blob's writer
    // cannot slip in a key of its own, and never one over a key from a box.
    for (const [epoch, key] of this.imported.get(space) ?? []) {
      if (keys.has(epoch)) continue
      const e = state?.epochs.find((x) => x.epoch === epoch)
      const b = e && this.graph(space).get(e.op)?.body
      if (b?.kind === 'rotate' && b.roster && openUnder(key, 'team/roster', boxContext(space, epoch, 'key'), b.roster).ok) keys.set(epoch, key)
    }
    // [L4] Each chain holds one earlier key: follow them back from every key held, newest first,
    // so a newcomer's one box opens the whole history its space keeps. A rotation's own chain,
    // or a link op that a member admin wrote for a key the chains did not reach ([T18]).
    const sources = chainSources(this.graph(space), state?.ignored ?? new Set())
    for (const e of [...(state?.epochs ?? [])].reverse()) {
      const key = keys.get(e.epoch)
      if (!key) continue
      for (const op of sources(e.op, e.epoch)) {
        const chain = this.chainOf(space, op, e.epoch, key)
        if (chain && !keys.has(chain.epoch)) keys.set(chain.epoch, chain.key)
      }
    }
    // Only an admin of the newest epoch holds the current admin secret.
    const newest = state?.epochs[state.epochs.length - 1]
    if (!newest || !adminSecrets.has(newest.epoch)) adminSecret = undefined
    return { keys, rosters, adminSecret, adminSecrets }
  }

  /** The earlier key a rotation's chain or a link op holds, opened with `epoch`'s key (cached). */
  chainOf(space: ConvId, op: Op, epoch: number, key: EpochKey): { epoch: number; key: EpochKey } | undefined {
    const b = op.body
    const sealed = b.kind === 'rotate' || b.kind === 'link' ? b.chain : undefined
    if (!sealed) return undefined
    const hit = this.chains.get(op.id)
    if (hit) return hit
    const opened = openChain(sealed, key, boxContext(space, epoch, 'key'))
    if (!opened.ok) return undefined
    this.chains.set(op.id, opened.value)
    return opened.value
  }

  private open(space: ConvId, e: Epoch): OpenedRotation {
    const cached = this.opened.get(e.op)
    if (cached) return cached
    const b = this.graph(space).get(e.op)?.body
    const mine = this.myBoxes.get(e.op)
    if (b?.kind !== 'rotate' || !mine) return {}
    // Boxes at the indexes the resolver derives: one placed elsewhere by the rotator does not open.
    const member = e.recipients.indexOf(this.me)
    const admin = e.admins.indexOf(this.me)
    const boxes = { members: sparse(member, mine.m), admins: sparse(admin, mine.a) }
    const out = openRotation(space, b, boxes, this.keys.boxSecret, { member, admin })
    this.opened.set(e.op, out)
    return out
  }
}

/** An array with only this device's box, at the index the resolver gives it (if it matches). */
function sparse(index: number, mine: readonly [number, Uint8Array] | undefined): Uint8Array[] {
  const out: Uint8Array[] = []
  if (index >= 0 && mine && mine[0] === index) out[index] = mine[1]
  return out
}
