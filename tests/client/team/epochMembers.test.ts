import { describe, expect, test } from 'vitest'
import { deriveMailboxKey, randomBytes } from '../../../crypto/index.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { signOp, type Op, type OpBody, type OpId } from '../../../client/core/team/ops.js'
import { resolveGroup, type GroupState } from '../../../client/core/team/group.js'
import { resolveOrg, type OrgState } from '../../../client/core/team/org.js'
import { EpochMembers, removalsIn } from '../../../client/core/team/epochMembers.js'
import { organisation, person, rotateOp, type Person } from './world.js'

/**
 * [M26] Member devices of an epoch on real graphs: the rotation's recipients, less a device whose
 * valid removal is concurrent with the rotation (strong remove, [T5], applied to what it wrote).
 * Concurrent branches are made as the resolver tests make them: ops signed on explicit parents.
 */
const alice = person('alice') // founder, org admin
const ann = person('ann') // second org admin
const bob = person('bob')
const carol = person('carol')
const dave = person('dave') // in the organisation, never in the group

/** The group "Depot": alice creates it, adds bob and carol, rotates (epoch 1 sealed to the three). */
async function depot() {
  const { graph: orgGraph, org } = await organisation(alice, [ann, bob, carol, dave], [ann])
  const g = new OpGraph('g')
  const put = async (by: Person, body: OpBody, parents: readonly OpId[] = g.heads()) => {
    const op = await signOp(by.signer, 'g', parents, body)
    expect(g.add(op)).toBe(true)
    return op
  }
  /** A rotation by `by` on `parents` (default: the heads), sealed to the member devices of its past. */
  const rotate = async (by: Person, parents: readonly OpId[] = g.heads(), epoch?: number) => {
    const past = new OpGraph('g', [...g.all()].filter((op) => parents.includes(op.id) || parents.some((p) => g.ancestors(p).has(op.id))))
    const devices = resolveGroup(past, org).devices
    const op = await signOp(by.signer, 'g', parents, { kind: 'rotate', epoch: epoch ?? 1 + Math.floor(Math.random() * 0xfffffffe), ephemeral: randomBytes(32), boxes: { count: devices.length, hash: randomBytes(32) } })
    expect(g.add(op)).toBe(true)
    return op
  }
  await put(alice, { kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: alice.user, history: true })
  for (const p of [bob, carol]) await put(alice, { kind: 'add', user: p.user })
  const first = await rotate(alice)
  return { orgGraph, org, g, put, rotate, first }
}

const epochOf = (s: GroupState | OrgState, op: Op) => {
  const e = s.epochs.find((x) => x.op === op.id)
  expect(e, 'the rotation is a valid epoch').toBeDefined()
  return e!
}

/** What TeamCore.memberOfEpoch asks: a fresh EpochMembers over the state resolved now. */
function check(g: OpGraph, org: OrgState) {
  const state = resolveGroup(g, org)
  const members = new EpochMembers()
  return { state, member: (op: Op, p: Person) => members.member(state, g, org.bindings, epochOf(state, op).epoch, p.device) }
}

describe('[M26] EpochMembers on group graphs', () => {
  test('a recipient of a rotation that was never removed is a member device of its epoch', async () => {
    const { g, org, first } = await depot()
    const { state, member } = check(g, org)
    expect(epochOf(state, first).recipients).toEqual([alice.device, bob.device, carol.device].sort())
    for (const p of [alice, bob, carol]) expect(member(first, p)).toBe(true)
    expect(removalsIn(g, state.ignored, org.bindings).size).toBe(0)
  })

  test('a device that is not a recipient of the rotation is not a member of its epoch; an epoch the view does not hold judges nobody (undefined: not hidden, not shown as a member)', async () => {
    const { g, org, first } = await depot()
    const { state, member } = check(g, org)
    expect(epochOf(state, first).recipients).not.toContain(dave.device)
    expect(member(first, dave)).toBe(false)
    // An org member who is not in the group, and a stranger bound to nobody.
    expect(new EpochMembers().member(state, g, org.bindings, epochOf(state, first).epoch, person('stranger').device)).toBe(false)
    // Epochs nobody rotated to (nor the invalid epoch 0), even for a recipient of every real epoch.
    const known = new Set(state.epochs.map((e) => e.epoch))
    const unknown = [0, 7, 0xffffffff].filter((e) => !known.has(e))
    expect(unknown.length).toBeGreaterThan(0)
    for (const e of unknown) for (const p of [alice, bob, carol]) expect(new EpochMembers().member(state, g, org.bindings, e, p.device)).toBeUndefined()
    // Applying still needs a recipient: an epoch the view does not hold has none.
    for (const e of unknown) expect(new EpochMembers().recipient(state, e, alice.device)).toBe(false)
  })

  test('removed by an op that has the rotation in its past: still a member of that epoch, not of the next', async () => {
    const { g, org, put, rotate, first } = await depot()
    const removal = await put(alice, { kind: 'remove', user: carol.user })
    const next = await rotate(alice)
    expect(g.ancestors(removal.id).has(first.id)).toBe(true)
    const { state, member } = check(g, org)
    expect(state.members.has(carol.user)).toBe(false)
    expect(removalsIn(g, state.ignored, org.bindings).get(carol.device)).toEqual([removal.id])
    // What carol wrote before she was cut off stands.
    expect(member(first, carol)).toBe(true)
    expect(epochOf(state, next).recipients).not.toContain(carol.device)
    expect(member(next, carol)).toBe(false)
    // The others are members of both.
    for (const p of [alice, bob]) expect([member(first, p), member(next, p)]).toEqual([true, true])
  })

  test('a removal concurrent with a rotation that still sealed to the device: not a member of that epoch, though a recipient', async () => {
    const { g, org, put, rotate, first } = await depot()
    const split = g.heads()
    const removal = await put(alice, { kind: 'remove', user: carol.user }, split) // alice, offline
    const concurrent = await rotate(ann, split) // ann, who does not know yet, rotates (an add would too)
    expect(g.concurrent(removal.id, concurrent.id)).toBe(true)
    const { state, member } = check(g, org)
    expect(state.ignored.has(removal.id)).toBe(false)
    expect(state.ignored.has(concurrent.id)).toBe(false)
    const epoch = epochOf(state, concurrent)
    expect(epoch.recipients).toContain(carol.device) // the key WAS sealed to her
    expect(epoch.tainted).toBe(true)
    expect(member(concurrent, carol)).toBe(false) // nothing she writes under it counts
    expect(member(first, carol)).toBe(true) // her epoch before the split stands
    for (const p of [alice, bob]) expect(member(concurrent, p)).toBe(true) // the others are unaffected
    // Both ways round: a removal after the concurrent rotation's branch changes nothing more.
    const merged = await rotate(alice)
    expect(check(g, org).member(concurrent, carol)).toBe(false)
    expect(epochOf(resolveGroup(g, org), merged).recipients).not.toContain(carol.device)
  })

  test('removed, then re-admitted (the add has the removal in its past), then a rotation: a member of the new epoch', async () => {
    const { g, org, put, rotate, first } = await depot()
    const removal = await put(alice, { kind: 'remove', user: carol.user })
    const whileOut = await rotate(alice)
    const readd = await put(ann, { kind: 'add', user: carol.user })
    const back = await rotate(ann)
    expect(g.ancestors(readd.id).has(removal.id)).toBe(true)
    const { state, member } = check(g, org)
    expect(state.members.has(carol.user)).toBe(true)
    // The re-admission undid the removal: it no longer stands.
    expect(removalsIn(g, state.ignored, org.bindings).get(carol.device)).toBeUndefined()
    expect(epochOf(state, back).recipients).toContain(carol.device)
    expect(member(back, carol)).toBe(true) // the removal is in the rotation's past
    expect(member(whileOut, carol)).toBe(false) // not a recipient
    expect(member(first, carol)).toBe(true) // removal after it
    expect(state.current?.op).toBe(back.id)
  })

  test('a second removal, after a re-admission, that is concurrent with a later rotation: not a member of that one only', async () => {
    const { g, org, put, rotate, first } = await depot()
    await put(alice, { kind: 'remove', user: carol.user })
    await put(alice, { kind: 'add', user: carol.user })
    const back = await rotate(alice)
    const split = g.heads()
    const again = await put(alice, { kind: 'remove', user: carol.user }, split)
    const concurrent = await rotate(ann, split)
    const { state, member } = check(g, org)
    // The first removal was undone by the re-admission; the second stands.
    expect(removalsIn(g, state.ignored, org.bindings).get(carol.device)).toHaveLength(1)
    expect(g.concurrent(again.id, concurrent.id)).toBe(true)
    expect([member(first, carol), member(back, carol), member(concurrent, carol)]).toEqual([true, true, false])
  })

  /**
   * carol removed and re-added on one branch, a rotation on a concurrent branch. After the merge
   * she is a member again: her re-admission undid the removal, so the removal no longer voids
   * what she writes under the concurrent rotation (which may be the current epoch).
   */
  test('removed and re-added concurrently with a rotation that becomes current: a live member who can write under it', async () => {
    for (let attempt = 0; attempt < 64; attempt++) {
      const { g, org, put, rotate } = await depot()
      const split = g.heads()
      await put(alice, { kind: 'remove', user: carol.user }, split)
      await rotate(alice)
      await put(alice, { kind: 'add', user: carol.user })
      await rotate(alice)
      const concurrent = await rotate(ann, split)
      const { state, member } = check(g, org)
      if (state.current?.op !== concurrent.id) continue // [T4] order decides which rotation is newest
      expect(state.members.has(carol.user)).toBe(true)
      expect(state.current.tainted).toBe(false)
      expect(state.current.recipients).toContain(carol.device)
      expect(member(concurrent, carol) || state.needsRotation).toBe(true)
      return
    }
    throw new Error('the concurrent rotation never came last in 64 tries') // about 2^-64 with random op ids
  })

  test('a removal the resolver refused (by a plain member) or voided (by an admin removed concurrently, [T5]) removes nobody', async () => {
    const { g, org, put, rotate } = await depot()
    const split = g.heads()
    const byBob = await put(bob, { kind: 'remove', user: carol.user }, split) // bob is not an admin
    const concurrent = await rotate(ann, split)
    const { state, member } = check(g, org)
    expect(state.ignored.has(byBob.id)).toBe(true)
    expect(removalsIn(g, state.ignored, org.bindings).has(carol.device)).toBe(false)
    expect(member(concurrent, carol)).toBe(true)

    // bob, promoted in the group, removes carol while alice (more senior) removes bob: bob's removal is void.
    const { g: g2, org: org2, put: put2, rotate: rotate2 } = await depot()
    await put2(alice, { kind: 'promote', user: bob.user })
    const heads = g2.heads()
    await put2(alice, { kind: 'remove', user: bob.user }, heads)
    const voided = await put2(bob, { kind: 'remove', user: carol.user }, heads)
    const r = await rotate2(ann, heads)
    const c2 = check(g2, org2)
    expect(c2.state.ignored.has(voided.id)).toBe(true)
    expect(c2.state.members.has(carol.user)).toBe(true)
    expect(c2.member(r, carol)).toBe(true)
    expect(c2.member(r, bob)).toBe(false) // bob's own removal is concurrent with ann's rotation
  })

  test('a removal of a person removes all of their devices (bindings from the organisation)', async () => {
    const { graph: orgGraph, org: before } = await organisation(alice, [ann, bob, carol], [ann])
    const laptop = person('carol') // a second device of carol's
    orgGraph.add(await signOp(carol.signer, 'org', orgGraph.heads(), { kind: 'add-device', user: carol.user, device: laptop.keys.signPublic, box: laptop.keys.boxPublic, mailbox: deriveMailboxKey(laptop.keys.signSecret).address }))
    const org = resolveOrg(orgGraph)
    expect(before.bindings.has(laptop.device)).toBe(false)
    expect(org.bindings.get(laptop.device)).toBe(carol.user)
    const g = new OpGraph('g')
    const put = async (by: Person, body: OpBody, parents = g.heads()) => {
      const op = await signOp(by.signer, 'g', parents, body)
      g.add(op)
      return op
    }
    await put(alice, { kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: alice.user, history: true })
    await put(alice, { kind: 'add', user: carol.user })
    const split = g.heads()
    const removal = await put(alice, { kind: 'remove', user: carol.user }, split)
    const concurrent = await signOp(ann.signer, 'g', split, { kind: 'rotate', epoch: 42, ephemeral: randomBytes(32), boxes: { count: 3, hash: randomBytes(32) } })
    g.add(concurrent)
    const state = resolveGroup(g, org)
    expect(epochOf(state, concurrent).recipients).toEqual([alice.device, carol.device, laptop.device].sort())
    const removals = removalsIn(g, state.ignored, org.bindings)
    expect(removals.get(carol.device)).toEqual([removal.id])
    expect(removals.get(laptop.device)).toEqual([removal.id])
    const members = new EpochMembers()
    expect([carol, laptop, alice].map((p) => members.member(state, g, org.bindings, 42, p.device))).toEqual([false, false, true])
  })
})

/** An organisation rotation by `by` on `parents`, with one box per live (and admin) device of its past. */
async function orgRotate(by: Person, graph: OpGraph, parents: readonly OpId[] = graph.heads()): Promise<Op> {
  const keep = new Set<OpId>(parents)
  for (const p of parents) for (const a of graph.ancestors(p)) keep.add(a)
  const past = resolveOrg(new OpGraph('org', graph.order().filter((op) => keep.has(op.id))), true)
  const op = await signOp(by.signer, 'org', parents, {
    kind: 'rotate',
    epoch: 1 + Math.floor(Math.random() * 0xfffffffe),
    ephemeral: randomBytes(32),
    boxes: { count: past.devices.length, hash: randomBytes(32) },
    admins: { ephemeral: randomBytes(32), boxes: { count: past.adminDevices.length, hash: randomBytes(32) }, secret: randomBytes(48), roster: randomBytes(48) },
  })
  expect(graph.add(op)).toBe(true)
  return op
}

describe('[M26] EpochMembers on organisation graphs (remove-device, remove-user)', () => {
  async function acme() {
    const { graph } = await organisation(alice, [ann, bob, carol], [ann])
    const laptop = person('carol')
    graph.add(await signOp(carol.signer, 'org', graph.heads(), { kind: 'add-device', user: carol.user, device: laptop.keys.signPublic, box: laptop.keys.boxPublic, mailbox: deriveMailboxKey(laptop.keys.signSecret).address }))
    const first = await orgRotate(alice, graph)
    const member = (op: Op, p: Person) => {
      const state = resolveOrg(graph)
      return new EpochMembers().member(state, graph, state.bindings, epochOf(state, op).epoch, p.device)
    }
    return { graph, laptop, first, member }
  }

  test('a remove-device concurrent with a rotation: that device only is out of the epoch; after it, the device stays a member of the earlier one', async () => {
    const { graph, laptop, first, member } = await acme()
    expect(member(first, laptop)).toBe(true)
    const split = graph.heads()
    const lost = await signOp(carol.signer, 'org', split, { kind: 'remove-device', device: laptop.keys.signPublic })
    graph.add(lost)
    const concurrent = await orgRotate(ann, graph, split)
    const state = resolveOrg(graph)
    expect(state.ignored.has(lost.id)).toBe(false)
    expect(epochOf(state, concurrent).recipients).toContain(laptop.device)
    expect(removalsIn(graph, state.ignored, state.bindings).get(laptop.device)).toEqual([lost.id])
    expect(removalsIn(graph, state.ignored, state.bindings).has(carol.device)).toBe(false)
    expect(member(concurrent, laptop)).toBe(false)
    expect(member(concurrent, carol)).toBe(true) // her phone is untouched
    expect(member(first, laptop)).toBe(true) // the removal has `first` in its past
    const after = await orgRotate(alice, graph)
    expect(member(after, laptop)).toBe(false)
  })

  test('a remove-user concurrent with a rotation: every device of the person is out of that epoch; one after the rotation leaves them members of it', async () => {
    const { graph, laptop, first, member } = await acme()
    const split = graph.heads()
    const removal = await signOp(alice.signer, 'org', split, { kind: 'remove-user', user: carol.user })
    graph.add(removal)
    const concurrent = await orgRotate(ann, graph, split)
    const state = resolveOrg(graph)
    expect(state.removedUsers.has(carol.user)).toBe(true)
    expect(epochOf(state, concurrent).recipients).toEqual(expect.arrayContaining([carol.device, laptop.device]))
    expect([member(concurrent, carol), member(concurrent, laptop)]).toEqual([false, false])
    expect([member(first, carol), member(first, laptop)]).toEqual([true, true])
    expect([member(concurrent, bob), member(concurrent, ann)]).toEqual([true, true])
  })
})

describe('[M26] what each state caches', () => {
  test('a new state (after a merge) is checked afresh: a member before the merge is not after it', async () => {
    const { g, org, put, rotate } = await depot()
    const split = g.heads()
    const concurrent = await rotate(ann, split)
    // bob's replica has only ann's branch.
    const bobs = new OpGraph('g', g.all())
    const members = new EpochMembers() // one instance across states, as TeamCore keeps it
    const before = resolveGroup(bobs, org)
    const epoch = epochOf(before, concurrent).epoch
    expect(members.member(before, bobs, org.bindings, epoch, carol.device)).toBe(true)
    const removal = await put(alice, { kind: 'remove', user: carol.user }, split)
    bobs.add(removal) // the merge
    const after = resolveGroup(bobs, org)
    expect(members.member(after, bobs, org.bindings, epoch, carol.device)).toBe(false)
    expect(members.member(before, bobs, org.bindings, epoch, carol.device)).toBe(true) // the old state's answer is kept with it
  })
})

// rotateOp is the world's helper for rotations sealed to today's devices; used here to show it agrees.
test('world.rotateOp on the heads makes an epoch whose recipients are all members', async () => {
  const { g, org } = await depot()
  const op = await rotateOp(alice, g, org)
  g.add(op)
  const { state, member } = check(g, org)
  for (const d of epochOf(state, op).recipients) expect([alice, bob, carol].find((p) => p.device === d)).toBeDefined()
  for (const p of [alice, bob, carol]) expect(member(op, p)).toBe(true)
})
