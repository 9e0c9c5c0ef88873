import { sealChain, type EpochKey } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { boxContext } from './contexts.js'
import type { GroupState } from './group.js'
import type { OpGraph } from './graph.js'
import type { OpBody } from './ops.js'

/**
 * [T18] Link ops a member admin of a group with history should write: one per rotation made by
 * an organisation admin outside the group (its author is not among its recipients, so it could
 * carry no chain) that no accepted link completes yet. Each seals, under that rotation's key,
 * the newest earlier key this device holds, so newcomers follow the chain past it ([L4]).
 */
export function missingLinks(space: ConvId, graph: OpGraph, state: GroupState, keys: ReadonlyMap<number, EpochKey>): Extract<OpBody, { kind: 'link' }>[] {
  if (!state.history) return []
  const linked = new Set<number>()
  for (const op of graph.all()) if (op.body.kind === 'link' && !state.ignored.has(op.id)) linked.add(op.body.epoch)
  const out: Extract<OpBody, { kind: 'link' }>[] = []
  state.epochs.forEach((e, i) => {
    const op = graph.get(e.op)
    const key = keys.get(e.epoch)
    if (i === 0 || !key || !op || op.body.kind !== 'rotate' || op.body.chain || linked.has(e.epoch) || e.recipients.includes(op.author)) return
    const prev = state.epochs.slice(0, i).reverse().find((p) => keys.has(p.epoch))
    if (!prev) return
    out.push({ kind: 'link', epoch: e.epoch, chain: sealChain(key, { epoch: prev.epoch, key: keys.get(prev.epoch)! }, boxContext(space, e.epoch, 'key')) })
  })
  return out
}
