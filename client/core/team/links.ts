import { sealChain, type EpochKey } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { boxContext } from './contexts.js'
import type { EpochView } from './epochs.js'
import type { OpGraph } from './graph.js'
import type { Op, OpBody, OpId } from './ops.js'

type LinkBody = Extract<OpBody, { kind: 'link' }>
type Opened = { epoch: number; key: EpochKey } | undefined

/** The ops that may hold an earlier key under `epoch`'s key: its rotation's chain and accepted links. */
export function chainSources(graph: OpGraph, ignored: ReadonlySet<OpId>): (epochOp: OpId, epoch: number) => Op[] {
  const links = new Map<number, Op[]>()
  for (const op of graph.all()) if (op.body.kind === 'link' && !ignored.has(op.id)) links.set(op.body.epoch, [...(links.get(op.body.epoch) ?? []), op])
  return (epochOp, epoch) => [graph.get(epochOp), ...(links.get(epoch) ?? [])].filter((op): op is Op => !!op)
}

/**
 * [T18][L4] Links a member admin should write so that a newcomer, who gets only the current key,
 * reaches every key of the space's history: one link under the current key for each epoch this
 * device holds that the chains and links from the current epoch do not reach — a rotation made
 * from outside the group (no chain), or the other side of a merge of concurrent rotations (a
 * healing rotation chains one of them). Never across a cut a member made on purpose: a rotation
 * without a chain by one of its own recipients (the first one, or "no history for new members").
 */
export function missingLinks(
  space: ConvId,
  graph: OpGraph,
  state: EpochView & { readonly ignored: ReadonlySet<OpId>; readonly history?: boolean },
  keys: ReadonlyMap<number, EpochKey>,
  open: (op: Op, epoch: number, key: EpochKey) => Opened,
  me: string,
): LinkBody[] {
  const current = state.current
  const currentKey = current && keys.get(current.epoch)
  if (state.history === false || !current || !currentKey) return []
  // At most one round of links per device and current epoch, even if the resolver were to void them.
  if (graph.all().some((op) => op.body.kind === 'link' && op.body.epoch === current.epoch && op.author === me)) return []
  const sources = chainSources(graph, state.ignored)
  const reached = new Set([current.epoch])
  const todo = [current]
  for (let e = todo.pop(); e; e = todo.pop()) {
    const key = keys.get(e.epoch)
    for (const op of key ? sources(e.op, e.epoch) : []) {
      const earlier = open(op, e.epoch, key!)
      const next = earlier && state.epochs.find((x) => x.epoch === earlier.epoch)
      if (next && !reached.has(next.epoch)) todo.push(next), reached.add(next.epoch)
    }
  }
  const cut = state.epochs.findLastIndex((e) => {
    const op = graph.get(e.op)
    return op?.body.kind === 'rotate' && !op.body.chain && e.recipients.includes(op.author)
  })
  return state.epochs
    .slice(Math.max(0, cut))
    .filter((e) => !reached.has(e.epoch) && keys.has(e.epoch))
    .map((e) => ({ kind: 'link', epoch: current.epoch, chain: sealChain(currentKey, { epoch: e.epoch, key: keys.get(e.epoch)! }, boxContext(space, current.epoch, 'key')) }))
}
