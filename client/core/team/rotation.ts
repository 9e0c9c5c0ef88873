import * as z from 'zod'
import {
  asBoxPublicKey, asEpochKey, domainHash, findEpochKey, generateEpochKey, openChain, openEpochKey, openUnder, randomBytes, sealChain, sealEpochKey, sealUnder,
  type BoxSecretKey, type EpochKey,
} from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { boxContext, boxTag } from './contexts.js'
import type { OpBody, OpId } from './ops.js'

type RotateBody = Extract<OpBody, { kind: 'rotate' }>

/** [T16] A rotation's boxes, detached from the op: members' epoch-key boxes and admins' admin-key boxes. */
export interface RotationBoxes {
  readonly members: readonly Uint8Array[]
  readonly admins: readonly Uint8Array[]
}

const boxesSchema = z.object({ m: z.array(z.instanceof(Uint8Array)).max(10_000), a: z.array(z.instanceof(Uint8Array)).max(10_000) })

export const encodeBoxes = (b: RotationBoxes): Uint8Array => encodeRecord({ m: b.members, a: b.admins })

/** Decodes detached boxes and checks them against the counts and hashes the rotation signs. */
export function readBoxes(bytes: Uint8Array, body: RotateBody): RotationBoxes | undefined {
  const rec = decodeRecord(bytes, boxesSchema)
  if (!rec || !matches(rec.m, body.boxes) || !matches(rec.a, body.admins?.boxes ?? { count: 0, hash: hashBoxes([]) })) return undefined
  return { members: rec.m, admins: rec.a }
}

const hashBoxes = (boxes: readonly Uint8Array[]) => domainHash('fieldchat/v1/team/boxes', ...boxes)

function matches(boxes: readonly Uint8Array[], signed: { count: number; hash: Uint8Array }): boolean {
  const h = hashBoxes(boxes)
  return boxes.length === signed.count && h.length === signed.hash.length && h.every((x, i) => x === signed.hash[i])
}

/** What one device can open of a rotation ([T9][T13]). */
export interface OpenedRotation {
  key?: EpochKey
  chain?: { epoch: number; key: EpochKey }
  roster?: Uint8Array
  adminSecret?: Uint8Array
}

export interface RotationInput {
  readonly space: ConvId
  readonly existing: ReadonlySet<number>
  /** Box public keys of the member devices, in the sorted device order the resolver derives. */
  readonly members: readonly Uint8Array[]
  readonly admins: readonly Uint8Array[]
  readonly adminSecret: Uint8Array
  /** The key chain ([L4]): the current epoch, unless the space keeps no history for newcomers. */
  readonly previous?: { epoch: number; key: EpochKey }
  readonly orgHeads?: readonly OpId[]
}

/**
 * [T9] A rotation's body: a new epoch key to the members, a new admin key to the admins. The
 * admin key is returned so that the bundle carrying the rotation can be wrapped under it ([T20]);
 * the caller wipes it after.
 */
export async function makeRotation(input: RotationInput): Promise<{ body: RotateBody; boxes: RotationBoxes; key: EpochKey; roster: Uint8Array; adminKey: EpochKey }> {
  let epoch = 0
  while (epoch === 0 || input.existing.has(epoch)) epoch = new DataView(randomBytes(4).buffer).getUint32(0)
  const key = generateEpochKey()
  const roster = randomBytes(32)
  const adminKey = generateEpochKey()
  const ctx = boxContext(input.space, epoch, 'key')
  const adminCtx = boxContext(input.space, epoch, 'admin')
  // [T20] boxes are bound to a hash of the context, which travels in a bundle's clear part.
  const sealed = await sealEpochKey(key, input.members.map((b) => asBoxPublicKey(b)), boxTag(input.space, epoch, 'key'))
  const admins = await sealEpochKey(adminKey, input.admins.map((b) => asBoxPublicKey(b)), boxTag(input.space, epoch, 'admin'))
  const body: RotateBody = {
    kind: 'rotate',
    epoch,
    ephemeral: sealed.ephemeral,
    boxes: { count: sealed.boxes.length, hash: hashBoxes(sealed.boxes) },
    roster: sealUnder(key, 'team/roster', ctx, roster),
    admins: {
      ephemeral: admins.ephemeral,
      boxes: { count: admins.boxes.length, hash: hashBoxes(admins.boxes) },
      secret: sealUnder(adminKey, 'team/admin-secret', adminCtx, input.adminSecret),
      roster: sealUnder(adminKey, 'team/roster', adminCtx, roster),
    },
    ...(input.previous ? { chain: sealChain(key, input.previous, ctx) } : {}),
    ...(input.orgHeads ? { org: [...input.orgHeads] } : {}),
  }
  return { body, boxes: { members: sealed.boxes, admins: admins.boxes }, key, roster, adminKey }
}

/**
 * Opens what this device can of a rotation: at known indexes (from the resolved graph), or by
 * trial when the index is not known yet (a newcomer reading a bundle, [L3]).
 */
export function openRotation(space: ConvId, b: RotateBody, boxes: RotationBoxes, secret: BoxSecretKey, at?: { member: number; admin: number }): OpenedRotation {
  const out: OpenedRotation = {}
  const ctx = boxContext(space, b.epoch, 'key')
  const adminCtx = boxContext(space, b.epoch, 'admin')
  const tag = boxTag(space, b.epoch, 'key')
  const adminTag = boxTag(space, b.epoch, 'admin')
  const key = at
    ? at.member >= 0 && boxes.members[at.member] ? openEpochKey({ ephemeral: b.ephemeral, box: boxes.members[at.member]! }, at.member, secret, tag) : undefined
    : mapFound(findEpochKey({ ephemeral: b.ephemeral, boxes: boxes.members }, secret, tag))
  if (key?.ok) {
    out.key = key.value
    const chain = b.chain && openChain(b.chain, key.value, ctx)
    if (chain?.ok) out.chain = chain.value
    const roster = b.roster && openUnder(key.value, 'team/roster', ctx, b.roster)
    if (roster?.ok) out.roster = roster.value
  }
  if (b.admins) {
    const adminKey = at
      ? at.admin >= 0 && boxes.admins[at.admin] ? openEpochKey({ ephemeral: b.admins.ephemeral, box: boxes.admins[at.admin]! }, at.admin, secret, adminTag) : undefined
      : mapFound(findEpochKey({ ephemeral: b.admins.ephemeral, boxes: boxes.admins }, secret, adminTag))
    if (adminKey?.ok) {
      const s = openUnder(adminKey.value, 'team/admin-secret', adminCtx, b.admins.secret)
      if (s.ok && s.value.length === 32) out.adminSecret = s.value
      const r = openUnder(adminKey.value, 'team/roster', adminCtx, b.admins.roster)
      if (r.ok) out.roster = r.value
    }
  }
  return out
}

function mapFound(r: ReturnType<typeof findEpochKey>) {
  return r.ok ? { ok: true as const, value: asEpochKey(r.value.key) } : r
}
