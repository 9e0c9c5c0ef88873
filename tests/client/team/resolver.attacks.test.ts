import { describe, expect, test } from 'vitest'
import { deriveMailboxKey, createSigner, generateDeviceKeys, randomBytes } from '../../../crypto/index.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { readOp, signOp, type Op, type OpBody } from '../../../client/core/team/ops.js'
import { resolveGroup } from '../../../client/core/team/group.js'
import { resolveOrg } from '../../../client/core/team/org.js'
import { organisation, person, rotateOp, type Person } from './world.js'

const alice = person('alice') // founder, org admin
const bob = person('bob') // group admin (promoted in the group)
const carol = person('carol')
const eve = person('eve') // will be removed

async function setup() {
  const { graph: orgGraph, org } = await organisation(alice, [bob, carol, eve])
  const g = new OpGraph('g')
  const put = async (by: Person, body: OpBody, parents = g.heads()) => {
    const op = await signOp(by.signer, 'g', parents, body)
    g.add(op)
    return op
  }
  await put(alice, { kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: alice.user, history: true })
  for (const p of [bob, carol, eve]) await put(alice, { kind: 'add', user: p.user })
  await put(alice, { kind: 'promote', user: bob.user })
  g.add(await rotateOp(alice, g, org))
  return { orgGraph, org, g, put }
}

describe('attacks by a removed member with old keys and a modified client', () => {
  test('[T3] after her removal, eve\'s ops (add, promote herself, rotate) change nothing', async () => {
    const { org, g, put } = await setup()
    await put(alice, { kind: 'remove', user: eve.user })
    await put(eve, { kind: 'add', user: eve.user })
    await put(eve, { kind: 'promote', user: eve.user })
    const inject = await rotateOp(eve, g, org)
    g.add(inject)
    const s = resolveGroup(g, org)
    expect(s.members.has(eve.user)).toBe(false)
    expect(s.ignored.has(inject.id)).toBe(true)
    expect(s.epochs.some((e) => e.op === inject.id)).toBe(false)
    expect(s.devices).not.toContain(eve.device)
  })

  test('[T5] ops eve makes concurrently with her removal are void, even an admin-only one she was allowed before', async () => {
    const { org, g, put } = await setup()
    const heads = g.heads()
    await put(bob, { kind: 'promote', user: eve.user }) // eve briefly an admin, in bob's branch
    const removal = await put(alice, { kind: 'remove', user: eve.user }, heads)
    const sneaky = await put(eve, { kind: 'remove', user: carol.user }, [...removal.parents, ...g.heads().filter((h) => h !== removal.id)])
    const s = resolveGroup(g, org)
    expect(g.concurrent(sneaky.id, removal.id)).toBe(true)
    expect(s.ignored.has(sneaky.id)).toBe(true)
    expect(s.members.has(carol.user)).toBe(true)
  })

  test('[T18] a link (key chain for an earlier rotation) is accepted from a member admin only, never from a plain member or a removed one', async () => {
    const { g, org, put } = await setup()
    const epoch = resolveGroup(g, org).epochs[0]!.epoch
    const byCarol = await put(carol, { kind: 'link', epoch, chain: randomBytes(60) })
    const byBob = await put(bob, { kind: 'link', epoch, chain: randomBytes(60) })
    const unknownEpoch = await put(bob, { kind: 'link', epoch: epoch + 1, chain: randomBytes(60) })
    await put(alice, { kind: 'remove', user: eve.user })
    const byEve = await put(eve, { kind: 'link', epoch, chain: randomBytes(60) })
    const s = resolveGroup(g, org)
    expect([byCarol, unknownEpoch, byEve].map((op) => s.ignored.has(op.id))).toEqual([true, true, true])
    expect(s.ignored.has(byBob.id)).toBe(false)
    expect(s.members.size).toBe(3) // a link changes no membership
  })

  test('[T6] a member who is not an admin cannot inject a rotation (lockbox)', async () => {
    const { org, g } = await setup()
    const inject = await rotateOp(carol, g, org)
    g.add(inject)
    const s = resolveGroup(g, org)
    expect(s.ignored.has(inject.id)).toBe(true)
    expect(s.current?.op).not.toBe(inject.id)
  })

  test('[T6] a rotation with a box for a device that is not a member (a leak) is void', async () => {
    const { org, g, put } = await setup()
    await put(alice, { kind: 'remove', user: eve.user })
    const leak = await rotateOp(bob, g, org, [bob.device, carol.device, alice.device, eve.device])
    g.add(leak)
    expect(resolveGroup(g, org).ignored.has(leak.id)).toBe(true)
  })

  test('[T1] replaying an old op changes nothing; re-signing it with another author fails verification', async () => {
    const { org, g } = await setup()
    const before = JSON.stringify([...resolveGroup(g, org).members])
    for (const op of g.all()) g.add(op)
    expect(JSON.stringify([...resolveGroup(g, org).members])).toBe(before)
    const original = g.all()[1]!
    // Eve keeps alice's bytes but signs them herself: the signature does not match the author.
    const forged = await readOp(original.wire.bytes, await createSigner(eve.keys.signSecret).sign(original.wire.bytes))
    expect(forged).toBeUndefined()
    const tampered = Uint8Array.from(original.wire.bytes)
    tampered[tampered.length - 3]! ^= 1
    expect(await readOp(tampered, original.wire.sig)).toBeUndefined()
    expect(await readOp(original.wire.bytes, original.wire.sig)).toMatchObject({ id: original.id })
  })

  test('[T5] mutual removal: the more senior admin wins', async () => {
    const { org, g, put } = await setup()
    const heads = g.heads()
    const byAlice = await put(alice, { kind: 'remove', user: bob.user }, heads)
    const byBob = await put(bob, { kind: 'remove', user: alice.user }, heads)
    const s = resolveGroup(g, org)
    expect(s.ignored.has(byBob.id)).toBe(true)
    expect(s.ignored.has(byAlice.id)).toBe(false)
    expect(s.members.has(alice.user)).toBe(true)
    expect(s.members.has(bob.user)).toBe(false)
  })

  test('[T5] a demoted admin\'s concurrent admin ops are void; no re-add while a removal is unresolved', async () => {
    const { org, g, put } = await setup()
    const heads = g.heads()
    await put(alice, { kind: 'demote', user: bob.user }, heads)
    const bobAdds = await put(bob, { kind: 'remove', user: carol.user }, heads)
    const removal = await put(alice, { kind: 'remove', user: eve.user })
    const readd = await put(bob, { kind: 'add', user: eve.user }, [...removal.parents]) // concurrent with the removal
    const s = resolveGroup(g, org)
    expect(s.ignored.has(bobAdds.id)).toBe(true)
    expect(s.members.has(carol.user)).toBe(true)
    expect(s.ignored.has(readd.id)).toBe(true)
    expect(s.members.has(eve.user)).toBe(false)
  })

  test('[T7][T8] a rotation made concurrently with a removal is tainted: nobody writes under it until an admin heals', async () => {
    const { org, g, put } = await setup()
    const heads = g.heads()
    await put(alice, { kind: 'remove', user: eve.user }, heads)
    const concurrent = await signOp(bob.signer, 'g', heads, { kind: 'rotate', epoch: 99, ephemeral: new Uint8Array(32), boxes: { count: 4, hash: new Uint8Array(32) } })
    g.add(concurrent)
    const s = resolveGroup(g, org)
    const epoch = s.epochs.find((e) => e.op === concurrent.id)
    expect(epoch?.tainted).toBe(true)
    expect(s.current?.op).not.toBe(concurrent.id)
    expect(s.needsRotation).toBe(true)
    g.add(await rotateOp(alice, g, org))
    const healed = resolveGroup(g, org)
    expect(healed.needsRotation).toBe(false)
    expect(healed.current?.recipients).not.toContain(eve.device)
  })
})

describe('organisation: a departed employee', () => {
  test('[T3] removing a user from the organisation removes them from every group and voids their later ops', async () => {
    const { orgGraph, g, put } = await setup()
    orgGraph.add(await signOp(alice.signer, 'org', orgGraph.heads(), { kind: 'remove-user', user: eve.user }))
    const org = resolveOrg(orgGraph)
    expect(org.users.has(eve.user)).toBe(false)
    expect(org.removedDevices.has(eve.device)).toBe(true)
    const s = resolveGroup(g, org)
    expect(s.members.has(eve.user)).toBe(false)
    expect(s.needsRotation).toBe(true) // the current epoch was sealed to eve's device
    const later = await put(eve, { kind: 'add', user: eve.user })
    expect(resolveGroup(g, org).ignored.has(later.id)).toBe(true)
  })

  test('[T3] only an admin admits; a device bound to one user cannot be admitted as another', async () => {
    const { graph: orgGraph } = await organisation(alice, [bob])
    const mallory = { user: 'mallory', keys: generateDeviceKeys() }
    const byBob = await signOp(bob.signer, 'org', orgGraph.heads(), { kind: 'admit', user: mallory.user, userName: 'm', device: mallory.keys.signPublic, box: mallory.keys.boxPublic, mailbox: deriveMailboxKey(mallory.keys.signSecret).address })
    orgGraph.add(byBob)
    const steal = await signOp(alice.signer, 'org', orgGraph.heads(), { kind: 'add-device', user: 'alice', device: bob.keys.signPublic, box: bob.keys.boxPublic, mailbox: deriveMailboxKey(bob.keys.signSecret).address })
    orgGraph.add(steal)
    const org = resolveOrg(orgGraph)
    expect(org.users.has(mallory.user)).toBe(false)
    expect(org.ignored.has(steal.id)).toBe(true)
    expect(org.bindings.get(bob.device)).toBe('bob')
  })
})

// Keep unused-import checks quiet for helpers used only in some tests.
void ({} as Op)
