import {
  asBoxPublicKey, asEpochKey, findEpochKey, generateEpochKey, openChain, openEpochKey, openUnder, randomBytes, sealChain, sealEpochKey, sealUnder,
  type BoxSecretKey, type EpochKey,
} from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { boxContext } from './contexts.js'
import type { OpBody, OpId } from './ops.js'

type RotateBody = Extract<OpBody, { kind: 'rotate' }>

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

/** [T9] A rotation's body: a new epoch key to the members, a new admin key to the admins. */
export async function makeRotation(input: RotationInput): Promise<{ body: RotateBody; key: EpochKey; roster: Uint8Array }> {
  let epoch = 0
  while (epoch === 0 || input.existing.has(epoch)) epoch = new DataView(randomBytes(4).buffer).getUint32(0)
  const key = generateEpochKey()
  const roster = randomBytes(32)
  const adminKey = generateEpochKey()
  const ctx = boxContext(input.space, epoch, 'key')
  const adminCtx = boxContext(input.space, epoch, 'admin')
  const sealed = await sealEpochKey(key, input.members.map((b) => asBoxPublicKey(b)), ctx)
  const admins = await sealEpochKey(adminKey, input.admins.map((b) => asBoxPublicKey(b)), adminCtx)
  const body: RotateBody = {
    kind: 'rotate',
    epoch,
    ephemeral: sealed.ephemeral,
    boxes: sealed.boxes,
    roster: sealUnder(key, 'team/roster', ctx, roster),
    admins: { ephemeral: admins.ephemeral, boxes: admins.boxes, secret: sealUnder(adminKey, 'team/admin-secret', adminCtx, input.adminSecret), roster: sealUnder(adminKey, 'team/roster', adminCtx, roster) },
    ...(input.previous ? { chain: sealChain(key, input.previous, ctx) } : {}),
    ...(input.orgHeads ? { org: [...input.orgHeads] } : {}),
  }
  adminKey.fill(0)
  return { body, key, roster }
}

/**
 * Opens what this device can of a rotation: at known indexes (from the resolved graph), or by
 * trial when the index is not known yet (a newcomer reading a bundle, [L3]).
 */
export function openRotation(space: ConvId, b: RotateBody, secret: BoxSecretKey, at?: { member: number; admin: number }): OpenedRotation {
  const out: OpenedRotation = {}
  const ctx = boxContext(space, b.epoch, 'key')
  const adminCtx = boxContext(space, b.epoch, 'admin')
  const key = at
    ? at.member >= 0 && b.boxes[at.member] ? openEpochKey({ ephemeral: b.ephemeral, box: b.boxes[at.member]! }, at.member, secret, ctx) : undefined
    : mapFound(findEpochKey({ ephemeral: b.ephemeral, boxes: b.boxes }, secret, ctx))
  if (key?.ok) {
    out.key = key.value
    const chain = b.chain && openChain(b.chain, key.value, ctx)
    if (chain?.ok) out.chain = chain.value
    const roster = b.roster && openUnder(key.value, 'team/roster', ctx, b.roster)
    if (roster?.ok) out.roster = roster.value
  }
  if (b.admins) {
    const adminKey = at
      ? at.admin >= 0 && b.admins.boxes[at.admin] ? openEpochKey({ ephemeral: b.admins.ephemeral, box: b.admins.boxes[at.admin]! }, at.admin, secret, adminCtx) : undefined
      : mapFound(findEpochKey({ ephemeral: b.admins.ephemeral, boxes: b.admins.boxes }, secret, adminCtx))
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
