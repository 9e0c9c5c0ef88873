import type * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import { newMessageId } from '../ids.js'
import type { MessageLogDeps } from './messageLogDeps.js'
import type { SegmentDoc } from './model.js'

/** A local change to a segment that is no message (a timer, a deletion, a call entry), queued like one: pending until the server has it. Resolves with its tag (the engine's `delivered` names it). */
export async function queuedChange(deps: MessageLogDeps, conv: ConvId, seg: DocId, fns: A.ChangeFn<SegmentDoc>[], ts: number, keep: number): Promise<string> {
  const tag = newMessageId()
  deps.pending.add(tag)
  await deps.change(conv, seg, fns, [tag], ts, keep).catch((err: unknown) => {
    deps.pending.delete(tag)
    throw err
  })
  deps.emitStatus()
  return tag
}
