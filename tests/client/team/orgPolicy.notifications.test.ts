import { describe, expect, test } from 'vitest'
import { toHex } from '../../../crypto/index.js'
import { signOp, readOp, type OpBody } from '../../../client/core/team/ops.js'
import { NO_POLICY, checkPolicyChange, policyOpBody, resolveOrg } from '../../../client/core/team/org.js'
import { ClientError } from '../../../client/core/errors.js'
import { organisation, person, type Person } from './world.js'

/**
 * [T21][M61] The organisation's notification level, and [M63] the push tokens of the directory.
 * Personas: Alice founds the organisation, Bob is an admin, Carol a member.
 */
const alice = person('alice')
const bob = person('bob')
const carol = person('carol')
const base = { kind: 'policy', requireLock: false, autoLockMinutes: 0, forbidExport: false } as const
const token = (n: number) => new Uint8Array(32).fill(n)

async function setup() {
  const { graph } = await organisation(alice, [bob, carol], [bob])
  const put = async (by: Person, body: OpBody) => {
    const op = await signOp(by.signer, 'org', graph.heads(), body)
    const read = await readOp(op.wire.bytes, op.wire.sig)
    if (!read) throw new Error('op does not parse')
    graph.add(read)
    return read
  }
  return { graph, put, state: () => resolveOrg(graph) }
}

describe('[T21][M61] the organisation notification level', () => {
  test('[T21] an admin sets it; an op without it keeps it; an op from before it still parses', async () => {
    const { put, state } = await setup()
    await put(alice, policyOpBody(state().policy, { notifications: 'sender' }))
    expect(state().policy).toEqual({ ...NO_POLICY, notifications: 'sender' })
    await put(bob, { ...base, forbidExport: true })
    expect(state().policy).toEqual({ ...NO_POLICY, forbidExport: true, notifications: 'sender' })
    await put(bob, policyOpBody(state().policy, { notifications: 'content' }))
    expect(state().policy.notifications).toBeUndefined()
  })

  test('[T21] a member who is not an admin cannot loosen it; a bad level is M509 before anything is signed', async () => {
    const { put, state, graph } = await setup()
    await put(alice, policyOpBody(state().policy, { notifications: 'none' }))
    const sneaky = await put(carol, { ...base, notifications: 'content' })
    expect(resolveOrg(graph).ignored.has(sneaky.id)).toBe(true)
    expect(state().policy.notifications).toBe('none')
    expect(() => checkPolicyChange({ notifications: 'everything' as never })).toThrow(ClientError)
  })
})

describe('[M63] push tokens in the directory', () => {
  test('[M63] a device publishes and withdraws its own token; a removed device\'s token leaves with it', async () => {
    const { put, state } = await setup()
    await put(bob, { kind: 'push-token', token: token(1) })
    await put(carol, { kind: 'push-token', token: token(2) })
    expect([...state().pushTokens.entries()].map(([d, t]) => [d, toHex(t)])).toEqual(
      expect.arrayContaining([[bob.device, toHex(token(1))], [carol.device, toHex(token(2))]]),
    )
    await put(bob, { kind: 'push-token' })
    expect(state().pushTokens.has(bob.device)).toBe(false)
    await put(alice, { kind: 'remove-user', user: carol.user })
    expect(state().pushTokens.size).toBe(0)
    // A removed device publishing again changes nothing.
    await put(carol, { kind: 'push-token', token: token(3) })
    expect(state().pushTokens.size).toBe(0)
  })
})
