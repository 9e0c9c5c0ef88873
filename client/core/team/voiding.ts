import type { OpGraph } from './graph.js'
import type { Op, OpId, UserId } from './ops.js'

/** What the strong-remove rules need to know about an op ([T5]). */
export interface VoidingRules {
  /** The user whose device wrote the op (from the device bindings in the graph). */
  authorUser(op: Op): UserId | undefined
  /** A removal or demotion this op makes, if any. */
  target(op: Op): { kind: 'remove' | 'demote'; user: UserId } | undefined
  /** The user this op adds (re-adds), if any. */
  adds(op: Op): UserId | undefined
  /** Ops only an admin may make. */
  adminOnly(op: Op): boolean
  /** Lower is more senior (position of the user's admission in the [T4] order). */
  seniority(user: UserId): number
}

/**
 * [T5] Ops made void by concurrent removals and demotions. Removals are applied most senior
 * author first, so in a mutual removal the senior one voids the other before it can act.
 * `ignore` holds removal ops the resolver found invalid; they void nothing.
 */
export function voidedOps(graph: OpGraph, order: readonly Op[], rules: VoidingRules, ignore: ReadonlySet<OpId>): Set<OpId> {
  const index = new Map(order.map((op, i) => [op.id, i]))
  const removals = order
    .filter((op) => rules.target(op) && !ignore.has(op.id))
    .sort((a, b) => {
      const sa = rules.seniority(rules.authorUser(a) ?? '')
      const sb = rules.seniority(rules.authorUser(b) ?? '')
      return sa - sb || index.get(a.id)! - index.get(b.id)!
    })
  const voided = new Set<OpId>()
  for (const r of removals) {
    if (voided.has(r.id)) continue
    const { kind, user } = rules.target(r)!
    for (const op of order) {
      if (op.id === r.id || voided.has(op.id) || !graph.concurrent(r.id, op.id)) continue
      const author = rules.authorUser(op)
      if (kind === 'remove' && (author === user || rules.adds(op) === user)) voided.add(op.id)
      if (kind === 'demote' && author === user && rules.adminOnly(op)) voided.add(op.id)
    }
  }
  return voided
}

/**
 * Runs `evaluate` with the voids implied by every removal, then again without the removals it
 * rejected, until nothing changes: an unauthorised removal must not void anyone's ops.
 */
export function resolveWithVoiding<S>(
  graph: OpGraph,
  rules: VoidingRules,
  evaluate: (voided: ReadonlySet<OpId>) => { state: S; rejected: ReadonlySet<OpId> },
): S {
  const order = graph.order()
  let ignore = new Set<OpId>()
  for (let round = 0; ; round++) {
    const voided = voidedOps(graph, order, rules, ignore)
    const { state, rejected } = evaluate(voided)
    const next = new Set([...rejected].filter((id) => order.some((op) => op.id === id && rules.target(op))))
    if (round >= 8 || sameSet(next, ignore)) return state
    ignore = next
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x))
}
