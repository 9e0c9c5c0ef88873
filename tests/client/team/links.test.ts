import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { generateEpochKey, openChain, randomBytes, sealChain, type EpochKey } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { newConvId } from '../../../client/core/ids.js'
import { boxContext } from '../../../client/core/team/contexts.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { resolveGroup, type GroupState } from '../../../client/core/team/group.js'
import { chainSources, missingLinks } from '../../../client/core/team/links.js'
import { signOp, type Op, type OpBody } from '../../../client/core/team/ops.js'
import { organisation, person, type Person } from './world.js'

const alice = person('alice') // org admin, group creator
const bob = person('bob') // group admin
const carol = person('carol')

/** A rotation to the group's devices whose chain (if any) holds `previous` under `key`. */
async function rotation(space: ConvId, by: Person, g: OpGraph, devices: number, key: EpochKey, previous?: { epoch: number; key: EpochKey }, parents = g.heads()): Promise<Op> {
  const epoch = 1 + Math.floor(Math.random() * 0xfffffffe)
  const body: OpBody = {
    kind: 'rotate', epoch, ephemeral: randomBytes(32), boxes: { count: devices, hash: randomBytes(32) },
    ...(previous ? { chain: sealChain(key, previous, boxContext(space, epoch, 'key')) } : {}),
  }
  const op = await signOp(by.signer, space, parents, body)
  g.add(op)
  return op
}

const epochOf = (op: Op) => (op.body.kind === 'rotate' ? op.body.epoch : -1)
const open = (space: ConvId) => (op: Op, epoch: number, key: EpochKey) => {
  const b = op.body
  const sealed = b.kind === 'rotate' || b.kind === 'link' ? b.chain : undefined
  const r = sealed && openChain(sealed, key, boxContext(space, epoch, 'key'))
  return r && r.ok ? r.value : undefined
}

/** Alice's group with `members` added and Bob promoted when he is one (a fresh space id each time). */
async function depot(members: Person[]): Promise<{ space: ConvId; g: OpGraph }> {
  const space = newConvId()
  const g = new OpGraph(space)
  const put = async (body: OpBody) => g.add(await signOp(alice.signer, space, g.heads(), body))
  await put({ kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: alice.user, history: true })
  for (const p of members) await put({ kind: 'add', user: p.user })
  if (members.includes(bob)) await put({ kind: 'promote', user: bob.user })
  return { space, g }
}

/** What a newcomer holding only the current epoch's key reaches through chains and links. */
function reach(space: ConvId, g: OpGraph, state: GroupState, keys: ReadonlyMap<number, EpochKey>): Set<number> {
  const sources = chainSources(g, state.ignored)
  const ops = new Map(state.epochs.map((e) => [e.epoch, e.op]))
  const out = new Set([state.current!.epoch])
  const todo = [state.current!.epoch]
  for (let e = todo.pop(); e !== undefined; e = todo.pop()) {
    for (const op of sources(ops.get(e)!, e)) {
      const earlier = open(space)(op, e, keys.get(e)!)
      if (earlier && !out.has(earlier.epoch)) out.add(earlier.epoch), todo.push(earlier.epoch)
    }
  }
  return out
}

describe('[T18][L4] links: every key of the history stays reachable from the current one', () => {
  test('[T18] after a merge of concurrent rotations, a member admin links the branch the healing chain missed; then nothing is missing', async () => {
    const { org } = await organisation(alice, [bob, carol])
    const { space, g } = await depot([bob, carol])
    const k0 = generateEpochKey()
    const r0 = await rotation(space, alice, g, 3, k0)
    // Two admins rotate concurrently; the healing rotation chains only bob's branch.
    const [k1, k2, k3] = [generateEpochKey(), generateEpochKey(), generateEpochKey()]
    const fork = g.heads()
    const r1 = await rotation(space, alice, g, 3, k1, { epoch: epochOf(r0), key: k0 }, fork)
    const r2 = await rotation(space, bob, g, 3, k2, { epoch: epochOf(r0), key: k0 }, fork)
    const r3 = await rotation(space, alice, g, 3, k3, { epoch: epochOf(r2), key: k2 }, [r1.id, r2.id])
    const keys = new Map([[epochOf(r0), k0], [epochOf(r1), k1], [epochOf(r2), k2], [epochOf(r3), k3]])

    let state = resolveGroup(g, org)
    expect(state.current?.epoch).toBe(epochOf(r3))
    expect(reach(space, g, state, keys)).toEqual(new Set([epochOf(r3), epochOf(r2), epochOf(r0)]))
    const links = missingLinks(space, g, state, keys, open(space), bob.device)
    expect(links.map((l) => l.epoch)).toEqual([epochOf(r3)]) // one link, under the current key
    for (const body of links) g.add(await signOp(bob.signer, space, g.heads(), body))

    state = resolveGroup(g, org)
    expect(reach(space, g, state, keys)).toEqual(new Set(keys.keys()))
    expect(missingLinks(space, g, state, keys, open(space), alice.device)).toEqual([])
  })

  test('[T14] never across a cut made on purpose: nothing before a member\'s chain-less rotation ("no history for new members") is linked', async () => {
    const { org } = await organisation(alice, [bob, carol])
    const { space, g } = await depot([bob])
    const [k0, k1, k2] = [generateEpochKey(), generateEpochKey(), generateEpochKey()]
    const r0 = await rotation(space, alice, g, 2, k0)
    const r1 = await rotation(space, alice, g, 2, k1) // history was off for this one: no chain
    const r2 = await rotation(space, alice, g, 2, k2, { epoch: epochOf(r1), key: k1 })
    const state = resolveGroup(g, org)
    const keys = new Map([[epochOf(r0), k0], [epochOf(r1), k1], [epochOf(r2), k2]])
    expect(missingLinks(space, g, state, keys, open(space), alice.device)).toEqual([])
  })

  test('[T18][L4] property: after any mix of concurrent rotations, healing merges and rotations from outside the group, one member admin\'s links let a newcomer holding only the current key reach every key', async () => {
    const dave = person('dave') // an organisation admin outside the group
    const { org } = await organisation(alice, [bob, carol, dave], [dave])
    // Each round: 1–3 rotations from the same heads (by alice, bob or dave), then (if several) a
    // healing rotation by a member admin that chains one of the branches.
    const round = fc.record({ authors: fc.array(fc.constantFrom(0, 1, 2), { minLength: 1, maxLength: 3 }), chainTo: fc.nat(), healer: fc.constantFrom(0, 1) })
    await fc.assert(
      fc.asyncProperty(fc.array(round, { minLength: 1, maxLength: 5 }), async (rounds) => {
        const { space, g } = await depot([bob, carol])
        const keys = new Map<number, EpochKey>()
        const k0 = generateEpochKey()
        let last = await rotation(space, alice, g, 3, k0)
        keys.set(epochOf(last), k0)
        for (const r of rounds) {
          const fork = g.heads()
          const from = { epoch: epochOf(last), key: keys.get(epochOf(last))! }
          const branch: Op[] = []
          for (const a of r.authors) {
            const by = [alice, bob, dave][a]!
            const key = generateEpochKey()
            // Dave holds no key of the group: his rotation carries no chain.
            const op = await rotation(space, by, g, 3, key, by === dave ? undefined : from, fork)
            keys.set(epochOf(op), key)
            branch.push(op)
          }
          last = branch[0]!
          if (branch.length > 1) {
            const chained = branch[r.chainTo % branch.length]!
            const key = generateEpochKey()
            last = await rotation(space, [alice, bob][r.healer]!, g, 3, key, { epoch: epochOf(chained), key: keys.get(epochOf(chained))! }, g.heads())
            keys.set(epochOf(last), key)
          }
        }
        let state = resolveGroup(g, org)
        if (!state.current) return // a round left the group waiting for a heal: nothing to read yet
        for (const body of missingLinks(space, g, state, keys, open(space), bob.device)) g.add(await signOp(bob.signer, space, g.heads(), body))
        state = resolveGroup(g, org)
        expect(reach(space, g, state, keys)).toEqual(new Set(state.epochs.map((e) => e.epoch)))
        expect(missingLinks(space, g, state, keys, open(space), alice.device)).toEqual([])
      }),
      { numRuns: 40 },
    )
  })
})
