import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { randomBytes } from '../../../crypto/index.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { signOp, type Op, type OpBody } from '../../../client/core/team/ops.js'
import { resolveGroup, type GroupState } from '../../../client/core/team/group.js'
import type { OrgState } from '../../../client/core/team/org.js'
import { organisation, person, rotateOp, type Person } from './world.js'

/** `leak`: a modified client that seals the new key to every device it knows, removed or not. */
const ACTIONS = ['add', 'remove', 'promote', 'demote', 'rotate', 'leak'] as const
type Step =
  | { t: 'op'; who: number; action: (typeof ACTIONS)[number]; target: number }
  | { t: 'sync'; a: number; b: number }

function summary(s: GroupState) {
  return {
    name: s.name,
    members: [...s.members].sort(([a], [b]) => (a < b ? -1 : 1)),
    epochs: s.epochs.map((e) => [e.epoch, e.op, e.tainted]),
    current: s.current?.op,
    needsRotation: s.needsRotation,
    devices: s.devices,
  }
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let state = seed
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * Random histories of concurrent add / remove / promote / demote / rotate by 2–4 admins across
 * partitions (replicas that sync only now and then), delivered in random orders.
 */
describe('[T4][T5][T6][T7][T8] concurrent group histories', () => {
  test('[T4][T5] all devices converge; removed users never receive later keys; removed users\' concurrent ops are void; healing works', async () => {
    const founder = person('founder')
    const extra = ['ada', 'ben', 'cy'].map(person)
    const members = ['mia', 'noa', 'oli', 'pat'].map(person)
    const everyone = [founder, ...extra, ...members]
    const { org } = await organisation(founder, [...extra, ...members], extra)

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(
          fc.oneof(
            fc.record({ t: fc.constant('op' as const), who: fc.nat(3), action: fc.constantFrom(...ACTIONS), target: fc.nat(everyone.length - 1) }),
            fc.record({ t: fc.constant('sync' as const), a: fc.nat(3), b: fc.nat(3) }),
          ),
          { minLength: 1, maxLength: 24 },
        ),
        fc.integer({ min: 1, max: 2 ** 30 }),
        async (adminCount, steps: Step[], seed) => {
          const admins = [founder, ...extra].slice(0, adminCount)
          // Setup, seen by everyone: the founder creates the group, adds everyone, promotes the admins, rotates.
          const base = new OpGraph('g')
          const put = async (by: Person, body: OpBody) => base.add(await signOp(by.signer, 'g', base.heads(), body))
          await put(founder, { kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: founder.user, history: true })
          for (const p of everyone.slice(1)) await put(founder, { kind: 'add', user: p.user })
          for (const p of admins.slice(1)) await put(founder, { kind: 'promote', user: p.user })
          base.add(await rotateOp(founder, base, org))
          const replicas = admins.map(() => new OpGraph('g', base.all()))

          for (const step of steps) {
            if (step.t === 'sync') {
              const a = replicas[step.a % replicas.length]!
              const b = replicas[step.b % replicas.length]!
              for (const op of a.all()) b.add(op)
              for (const op of b.all()) a.add(op)
              continue
            }
            const i = step.who % replicas.length
            const graph = replicas[i]!
            const me = admins[i]!
            const target = everyone[step.target]!
            const op =
              step.action === 'rotate' ? await rotateOp(me, graph, org)
              : step.action === 'leak' ? await rotateOp(me, graph, org, everyone.map((p) => p.device))
              : await signOp(me.signer, 'g', graph.heads(), { kind: step.action, user: target.user })
            graph.add(op)
          }

          // Everyone gets everything, in different orders: one state.
          const allOps = new Map<string, Op>()
          for (const r of replicas) for (const op of r.all()) allOps.set(op.id, op)
          const ops = [...allOps.values()]
          const finals = [0, 1, 2].map((k) => new OpGraph('g', shuffled(ops, seed + k)))
          const states = finals.map((g) => resolveGroup(g, org))
          for (const s of states) expect(summary(s)).toEqual(summary(states[0]!))
          const final = finals[0]!
          const state = states[0]!
          checkInvariants(final, state, org)

          // [T8] a surviving admin heals; afterwards the epoch to write under is clean.
          const healer = admins.find((a) => state.members.get(a.user)?.admin || org.users.get(a.user)?.admin)
          if (state.needsRotation && healer) {
            final.add(await rotateOp(healer, final, org))
            const healed = resolveGroup(final, org)
            expect(healed.needsRotation).toBe(false)
            expect(healed.current?.recipients).toEqual(healed.devices)
          }
        },
      ),
      { numRuns: 60 },
    )
  }, 120_000)
})

function checkInvariants(graph: OpGraph, state: GroupState, org: OrgState): void {
  const devicesOf = (user: string) => [...(org.users.get(user)?.devices.keys() ?? [])]
  const accepted = graph.order().filter((op) => !state.ignored.has(op.id))
  // [T7] the epoch written under is sealed to members only.
  if (state.current) for (const d of state.current.recipients) expect(state.devices).toContain(d)
  for (const epoch of state.epochs) {
    const past = graph.ancestors(epoch.op)
    for (const removal of accepted.filter((op) => op.body.kind === 'remove' && past.has(op.id))) {
      const user = (removal.body as { user: string }).user
      const readded = accepted.some((op) => op.body.kind === 'add' && (op.body as { user: string }).user === user && past.has(op.id) && graph.ancestors(op.id).has(removal.id))
      // No device removed before a rotation (in its author's knowledge) holds that rotation's key.
      if (!readded) for (const d of devicesOf(user)) expect(epoch.recipients).not.toContain(d)
    }
  }
  // [T5] nothing a user wrote concurrently with their own accepted removal took effect.
  for (const removal of accepted.filter((op) => op.body.kind === 'remove')) {
    const user = (removal.body as { user: string }).user
    for (const op of accepted) {
      if (org.bindings.get(op.author) === user) expect(graph.concurrent(op.id, removal.id)).toBe(false)
    }
  }
}
