import type { Op, OpId } from './ops.js'

/**
 * A space's membership DAG. Ops whose parents are not all present wait (they arrive in any
 * order); everything here is derived from the set of ops, never from arrival order.
 */
export class OpGraph {
  private readonly ops = new Map<OpId, Op>()
  private readonly waiting = new Map<OpId, Op>()
  private ancestorCache = new Map<OpId, ReadonlySet<OpId>>()
  private orderCache: Op[] | undefined

  constructor(readonly space: string, ops: Iterable<Op> = []) {
    for (const op of ops) this.add(op)
  }

  /** Adds an op (idempotent); returns false when it belongs to another space. */
  add(op: Op): boolean {
    if (op.space !== this.space) return false
    if (this.ops.has(op.id)) return true
    this.waiting.set(op.id, op)
    for (let progress = true; progress; ) {
      progress = false
      for (const [id, w] of this.waiting) {
        if (!w.parents.every((p) => this.ops.has(p))) continue
        // Only the first op of a space may have no parents.
        if (w.parents.length === 0 && this.ops.size > 0) {
          this.waiting.delete(id)
          continue
        }
        this.waiting.delete(id)
        this.ops.set(id, w)
        progress = true
      }
    }
    this.orderCache = undefined
    this.version++
    return true
  }

  /** Changes whenever an op is added (for caches of what the graph resolves to). */
  version = 0

  get(id: OpId): Op | undefined {
    return this.ops.get(id)
  }

  has(id: OpId): boolean {
    return this.ops.has(id)
  }

  get size(): number {
    return this.ops.size
  }

  all(): Op[] {
    return [...this.ops.values()]
  }

  /** Ops without children: what a new op should name as parents. */
  heads(): OpId[] {
    const withChildren = new Set<OpId>()
    for (const op of this.ops.values()) for (const p of op.parents) withChildren.add(p)
    return [...this.ops.keys()].filter((id) => !withChildren.has(id)).sort()
  }

  ancestors(id: OpId): ReadonlySet<OpId> {
    const cached = this.ancestorCache.get(id)
    if (cached) return cached
    const out = new Set<OpId>()
    const stack = [...(this.ops.get(id)?.parents ?? [])]
    while (stack.length) {
      const p = stack.pop()!
      if (out.has(p)) continue
      out.add(p)
      stack.push(...(this.ops.get(p)?.parents ?? []))
    }
    this.ancestorCache.set(id, out)
    return out
  }

  concurrent(a: OpId, b: OpId): boolean {
    return a !== b && !this.ancestors(a).has(b) && !this.ancestors(b).has(a)
  }

  /** [T4] Topological order; among ops whose parents are placed, the smallest id first. */
  order(): Op[] {
    if (this.orderCache) return this.orderCache
    const remaining = new Map<OpId, number>()
    const children = new Map<OpId, OpId[]>()
    for (const op of this.ops.values()) {
      remaining.set(op.id, op.parents.length)
      for (const p of op.parents) children.set(p, [...(children.get(p) ?? []), op.id])
    }
    const ready = [...remaining].filter(([, n]) => n === 0).map(([id]) => id)
    const out: Op[] = []
    while (ready.length) {
      ready.sort()
      const id = ready.shift()!
      out.push(this.ops.get(id)!)
      for (const c of children.get(id) ?? []) {
        const n = remaining.get(c)! - 1
        remaining.set(c, n)
        if (n === 0) ready.push(c)
      }
    }
    this.orderCache = out
    return out
  }

  /** The sub-graph made of `heads` and their ancestors; undefined when a head is missing. */
  upTo(heads: readonly OpId[]): OpGraph | undefined {
    if (!heads.every((h) => this.ops.has(h))) return undefined
    const keep = new Set<OpId>(heads)
    for (const h of heads) for (const a of this.ancestors(h)) keep.add(a)
    return new OpGraph(this.space, this.order().filter((op) => keep.has(op.id)))
  }

  /** Ops received whose parents have not all arrived yet (a gap in what this device was sent). */
  get missing(): number {
    return this.waiting.size
  }

  /** The sub-graph of `id`'s causal past (its ancestors, without it). */
  past(id: OpId): OpGraph {
    const keep = this.ancestors(id)
    return new OpGraph(this.space, this.order().filter((op) => keep.has(op.id)))
  }
}
