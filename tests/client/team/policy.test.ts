import { describe, expect, test } from 'vitest'
import { OpGraph } from '../../../client/core/team/graph.js'
import { signOp, readOp, type OpBody } from '../../../client/core/team/ops.js'
import { NO_POLICY, resolveOrg } from '../../../client/core/team/org.js'
import { parsePolicyChange } from '../../../client/cli/policyCommand.js'
import { organisation, person, type Person } from './world.js'

const alice = person('alice') // founder
const bob = person('bob') // admin
const carol = person('carol') // member
const strict = { kind: 'policy', requireLock: true, autoLockMinutes: 5, forbidExport: true } as const

async function setup() {
  const { graph } = await organisation(alice, [bob, carol], [bob])
  const put = async (by: Person, body: OpBody, parents = graph.heads()) => {
    const op = await signOp(by.signer, 'org', parents, body)
    graph.add(op)
    return op
  }
  return { graph, put }
}

describe('[T21] the organisation device policy', () => {
  test('an organisation has no policy until an admin signs one; then every device resolves the same one', async () => {
    const { graph, put } = await setup()
    expect(resolveOrg(graph).policy).toEqual(NO_POLICY)
    await put(alice, strict)
    expect(resolveOrg(graph).policy).toEqual({ requireLock: true, autoLockMinutes: 5, forbidExport: true })
    await put(bob, { kind: 'policy', requireLock: false, autoLockMinutes: 0, forbidExport: false })
    expect(resolveOrg(graph).policy).toEqual(NO_POLICY)
  })

  test('a member who is not an admin (a patched client) cannot loosen the policy', async () => {
    const { graph, put } = await setup()
    await put(alice, strict)
    const sneaky = await put(carol, { kind: 'policy', requireLock: false, autoLockMinutes: 0, forbidExport: false })
    const state = resolveOrg(graph)
    expect(state.ignored.has(sneaky.id)).toBe(true)
    expect(state.policy.requireLock).toBe(true)
  })

  test('a removed admin\'s policy, even signed concurrently with the removal, is void ([T5])', async () => {
    const { graph, put } = await setup()
    await put(alice, strict)
    const heads = graph.heads()
    await put(alice, { kind: 'remove-user', user: bob.user }, heads)
    const late = await put(bob, { kind: 'policy', requireLock: false, autoLockMinutes: 0, forbidExport: false }, heads)
    const state = resolveOrg(graph)
    expect(state.ignored.has(late.id)).toBe(true)
    expect(state.policy.forbidExport).toBe(true)
  })

  test('two admins setting the policy concurrently: every device picks the same one, whatever order the ops arrive in ([T4])', async () => {
    const a = await setup()
    const heads = a.graph.heads()
    const x = await a.put(alice, strict, heads)
    const y = await a.put(bob, { kind: 'policy', requireLock: false, autoLockMinutes: 30, forbidExport: false }, heads)
    const order = a.graph.order()
    const later = order.findIndex((op) => op.id === x.id) > order.findIndex((op) => op.id === y.id) ? x : y
    const other = new OpGraph('org', [...order].reverse())
    expect(other.size).toBe(a.graph.size)
    for (const g of [a.graph, other]) expect(resolveOrg(g).policy.autoLockMinutes).toBe(later === x ? 5 : 30)
  })

  test('a policy op out of range does not parse (a hostile op is dropped, not clamped)', async () => {
    const op = await signOp(alice.signer, 'org', [], { kind: 'policy', requireLock: true, autoLockMinutes: -1, forbidExport: false })
    expect(await readOp(op.wire.bytes, op.wire.sig)).toBeUndefined()
  })

  test('the CLI reads settings as key=value and refuses anything else', () => {
    expect(parsePolicyChange(['require-lock=on', 'auto-lock=10', 'export=forbid'])).toEqual({ requireLock: true, autoLockMinutes: 10, forbidExport: true })
    expect(parsePolicyChange(['export=allow'])).toEqual({ forbidExport: false })
    for (const bad of ['require-lock=yes', 'auto-lock=-3', 'auto-lock=', 'colour=red', 'export']) expect(() => parsePolicyChange([bad])).toThrow(/not a policy setting/)
  })
})
