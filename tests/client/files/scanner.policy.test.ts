import { describe, expect, test } from 'vitest'
import { OpGraph } from '../../../client/core/team/graph.js'
import { readOp, signOp, type OpBody } from '../../../client/core/team/ops.js'
import { NO_POLICY, policyOpBody, resolveOrg } from '../../../client/core/team/org.js'
import { resolveGroup } from '../../../client/core/team/group.js'
import { parsePolicyChange } from '../../../client/cli/policyCommand.js'
import { organisation, person, rotateOp, type Person } from '../team/world.js'

/** [T22] The organisation scanner in the policy, and the scanner added to groups by admin devices. */
const alice = person('alice') // founder, admin
const bob = person('bob') // admin
const carol = person('carol') // member
const scan = person('scanner') // the scanner's person
const policy = { kind: 'policy', requireLock: false, autoLockMinutes: 0, forbidExport: false } as const

async function setup() {
  const { graph } = await organisation(alice, [bob, carol, scan], [bob])
  const put = async (by: Person, body: OpBody, parents = graph.heads()) => {
    const op = await signOp(by.signer, 'org', parents, body)
    graph.add(op)
    return op
  }
  return { graph, put }
}

describe('[T22] the scanner setting', () => {
  test('[T22] off by default; an admin names a member, then turns it off; a policy op without the field leaves it as it was', async () => {
    const { graph, put } = await setup()
    expect(resolveOrg(graph).policy.scanner).toBeUndefined()
    await put(alice, { ...policy, scanner: scan.user })
    expect(resolveOrg(graph).policy).toEqual({ ...NO_POLICY, scanner: scan.user })
    await put(bob, { ...policy, requireLock: true })
    expect(resolveOrg(graph).policy).toEqual({ ...NO_POLICY, requireLock: true, scanner: scan.user })
    await put(bob, { ...policy, scanner: false })
    expect(resolveOrg(graph).policy.scanner).toBeUndefined()
  })

  test('[T22] a policy naming someone who is not a member, or signed by a member who is not an admin, changes nothing', async () => {
    const { graph, put } = await setup()
    const stranger = await put(alice, { ...policy, requireLock: true, scanner: 'not-a-member' })
    const sneaky = await put(carol, { ...policy, scanner: carol.user })
    const state = resolveOrg(graph)
    expect(state.ignored.has(stranger.id)).toBe(true)
    expect(state.ignored.has(sneaky.id)).toBe(true)
    expect(state.policy).toEqual(NO_POLICY)
  })

  test('[T22] a scanner removed from the organisation is no scanner (its verdicts stop counting)', async () => {
    const { graph, put } = await setup()
    await put(alice, { ...policy, scanner: scan.user })
    await put(alice, { kind: 'remove-user', user: scan.user })
    expect(resolveOrg(graph).policy.scanner).toBeUndefined()
  })

  test('[T22][T21] an op from before the field still parses; `false` and a user id round-trip; the CLI reads scanner=USER|off', async () => {
    const old = await signOp(alice.signer, 'org', [], policy)
    expect((await readOp(old.wire.bytes, old.wire.sig))?.body).toEqual(policy)
    const on = await signOp(alice.signer, 'org', [], { ...policy, scanner: scan.user })
    expect((await readOp(on.wire.bytes, on.wire.sig))?.body).toMatchObject({ scanner: scan.user })
    const off = await signOp(alice.signer, 'org', [], { ...policy, scanner: false })
    expect((await readOp(off.wire.bytes, off.wire.sig))?.body).toMatchObject({ scanner: false })
    // A `true` (or any other value), even signed, does not parse.
    const forged = await signOp(alice.signer, 'org', [], { ...policy, scanner: true } as unknown as OpBody)
    expect(await readOp(forged.wire.bytes, forged.wire.sig)).toBeUndefined()

    expect(parsePolicyChange(['scanner=Acme scanner'])).toEqual({ scanner: 'Acme scanner' })
    expect(parsePolicyChange(['scanner=off'])).toEqual({ scanner: false })
    expect(() => parsePolicyChange(['scanner='])).toThrow(expect.objectContaining({ code: 'C100_USAGE' }))
    expect(policyOpBody(NO_POLICY, { scanner: scan.user })).toMatchObject({ scanner: scan.user })
    expect(policyOpBody({ ...NO_POLICY, scanner: scan.user }, { requireLock: true })).not.toHaveProperty('scanner')
    expect(() => policyOpBody(NO_POLICY, { scanner: 'x'.repeat(65) })).toThrow(expect.objectContaining({ code: 'M509_POLICY_INVALID' }))
  })
})

describe('[T22] adding the scanner to groups', () => {
  test('[T22] two admin devices adding the scanner at once: it is a member once, the second add changes nothing, both rotations stand', async () => {
    const { graph: orgGraph, put } = await setup()
    await put(alice, { ...policy, scanner: scan.user })
    const org = resolveOrg(orgGraph)
    const group = new OpGraph('g')
    const add = async (by: Person, body: OpBody, parents = group.heads()) => {
      const op = await signOp(by.signer, 'g', parents, body)
      group.add(op)
      return op
    }
    await add(carol, { kind: 'create-group', nonce: new Uint8Array(16), name: 'Depot', user: carol.user, history: true })
    group.add(await rotateOp(carol, group, org))
    const heads = group.heads()
    const first = await add(alice, { kind: 'add', user: scan.user }, heads)
    const second = await add(bob, { kind: 'add', user: scan.user }, heads)
    // Each admin rotates from its own view (its own add in its past).
    const past = (id: string) => resolveGroup(group.past(id as never), org).devices
    group.add(await rotateOp(alice, group, org, [...past(first.id), scan.device].filter((d, i, a) => a.indexOf(d) === i)))
    const x = await signOp(bob.signer, 'g', [second.id], { kind: 'rotate', epoch: 7, ephemeral: new Uint8Array(32), boxes: { count: past(second.id).length + 1, hash: new Uint8Array(32) } })
    group.add(x)
    const state = resolveGroup(group, org)
    expect([...state.members.keys()].sort()).toEqual([carol.user, scan.user].sort())
    expect(state.devices).toContain(scan.device)
    const ignoredAdds = [first.id, second.id].filter((id) => state.ignored.has(id))
    expect(ignoredAdds).toHaveLength(1)
    expect(state.epochs).toHaveLength(3)
    // Whatever order the ops arrive in, every device resolves the same.
    expect([...resolveGroup(new OpGraph('g', [...group.order()].reverse()), org).members.keys()].sort()).toEqual([carol.user, scan.user].sort())
  })
})
