import { describe, expect, test } from 'vitest'
import { randomBytes, toBase64Url } from '../../../crypto/index.js'
import { newConvId } from '../../../client/core/ids.js'
import { openBundle, parseBundle, sealBundle } from '../../../client/core/team/bundle.js'
import { makeRotation } from '../../../client/core/team/rotation.js'
import { signOp } from '../../../client/core/team/ops.js'
import { person } from './world.js'

// Personas: alice (admin) seals; bob and carol are members; eve holds nothing of this space.
const alice = person('alice')
const bob = person('bob')
const carol = person('carol')
const eve = person('eve')

const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).includes(Buffer.from(needle))

async function world() {
  const space = newConvId()
  const org = newConvId()
  const op = await signOp(alice.signer, space, [], { kind: 'rename', name: 'Depot North' })
  const made = await makeRotation({ space, existing: new Set(), members: [alice, bob, carol].map((p) => p.keys.boxPublic), admins: [alice.keys.boxPublic], adminSecret: randomBytes(32) })
  const rotation = await signOp(alice.signer, space, [op.id], made.body)
  return { space, org, op, made, rotation }
}

describe('[T20] bundles sealed whole', () => {
  test('[T20] a rotation bundle names no space, organisation, epoch or device in the clear; every member and the admin open it by trial', async () => {
    const { space, org, op, made, rotation } = await world()
    const body = await sealBundle({ space, kind: 'group', org, epoch: made.body.epoch, key: made.roster, rotation: { op: rotation, boxes: made.boxes, epochKey: made.key, adminKey: made.adminKey }, ops: [op] })
    const epochBytes = new Uint8Array(4)
    new DataView(epochBytes.buffer).setUint32(0, made.body.epoch)
    for (const secret of [space, org].map((id) => new TextEncoder().encode(id))) expect(contains(body, secret)).toBe(false)
    for (const id of [space, org]) expect(contains(body, Buffer.from(id, 'base64url'))).toBe(false)
    for (const p of [alice, bob, carol, eve]) {
      expect(contains(body, p.keys.signPublic)).toBe(false)
      expect(contains(body, p.keys.boxPublic)).toBe(false)
    }
    expect(contains(body, rotation.wire.bytes.subarray(0, 64))).toBe(false)
    // Boxes are padded with decoys to a bucket of at least 8.
    expect(parseBundle(body)!.m!.b).toHaveLength(8)
    for (const p of [alice, bob, carol]) {
      const opened = await openBundle(parseBundle(body)!, [], p.keys.boxSecret)
      expect(opened?.space).toBe(space)
      expect(opened?.org).toBe(org)
      expect(opened?.wires.map((w) => toBase64Url(w.s))).toEqual([rotation, op].map((o) => toBase64Url(o.wire.sig)))
    }
    expect(await openBundle(parseBundle(body)!, [], eve.keys.boxSecret)).toBeUndefined()
  })

  test('[T20] a keyed bundle opens with the roster key of its space and epoch, and only says it is for that space and epoch', async () => {
    const { space, org, op } = await world()
    const roster = randomBytes(32)
    const body = await sealBundle({ space, kind: 'group', org, epoch: 7, key: roster, ops: [op] })
    const opened = await openBundle(parseBundle(body)!, [{ space: newConvId(), epoch: 7, key: randomBytes(32) }, { space, epoch: 7, key: roster }], bob.keys.boxSecret)
    expect(opened?.space).toBe(space)
    expect(opened?.epoch).toBe(7)
    // The roster key of another space or epoch that happens to open it is refused: the bundle
    // must name what its key was for.
    expect(await openBundle(parseBundle(body)!, [{ space: newConvId(), epoch: 7, key: roster }], bob.keys.boxSecret)).toBeUndefined()
    expect(await openBundle(parseBundle(body)!, [{ space, epoch: 8, key: roster }], bob.keys.boxSecret)).toBeUndefined()
    expect(await openBundle(parseBundle(body)!, [{ space, epoch: 7, key: randomBytes(32) }], bob.keys.boxSecret)).toBeUndefined()
  })

  test('[T20] a tampered bundle or a rotation bundle whose clear boxes are not its rotation\'s does not open', async () => {
    const { space, org, op, made, rotation } = await world()
    const seal = (boxes = made.boxes) => sealBundle({ space, kind: 'group', org, epoch: made.body.epoch, key: made.roster, rotation: { op: rotation, boxes, epochKey: made.key, adminKey: made.adminKey }, ops: [op] })
    const body = await seal()
    for (const field of ['c', 'wm'] as const) {
      const outer = parseBundle(body)!
      const tampered = outer[field]!.slice()
      tampered[20]! ^= 1
      expect(await openBundle({ ...outer, [field]: tampered }, [], bob.keys.boxSecret)).toBeUndefined()
    }
    const outer = parseBundle(body)!
    expect(await openBundle({ ...outer, m: { ...outer.m!, t: randomBytes(32) } }, [], bob.keys.boxSecret)).toBeUndefined()
    // Boxes swapped for others (the real ones' hash is signed in the rotation): refused after opening.
    const other = await makeRotation({ space, existing: new Set(), members: [alice, bob, carol].map((p) => p.keys.boxPublic), admins: [alice.keys.boxPublic], adminSecret: randomBytes(32) })
    expect(await openBundle(parseBundle(await seal({ members: other.boxes.members, admins: made.boxes.admins }))!, [], alice.keys.boxSecret)).toBeUndefined()
  })

  test('[T20][M27] decoy boxes stop at 10,000: a rotation of 9,000 devices still parses (the cap a bundle may carry)', async () => {
    const { space, org, op, made, rotation } = await world()
    const many = { members: Array.from({ length: 9000 }, () => randomBytes(48)), admins: made.boxes.admins }
    const body = await sealBundle({ space, kind: 'group', org, epoch: made.body.epoch, key: made.roster, rotation: { op: rotation, boxes: many, epochKey: made.key, adminKey: made.adminKey }, ops: [op] })
    expect(parseBundle(body)?.m?.b).toHaveLength(10_000)
  })
})
