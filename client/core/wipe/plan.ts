import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import { readSegments, type RootDoc } from '../documents/model.js'
import type { SegmentWindow } from '../documents/segmentWindow.js'
import type { Team } from '../team/team.js'
import type { WipePlan } from './tombstone.js'

export interface PlanDeps {
  readonly team: Team
  readonly docs: DocStore
  readonly segs: SegmentWindow
  /** The conversation of every document this device knows. */
  readonly convOfDoc: ReadonlyMap<DocId, ConvId>
}

/**
 * [M30] Everything of an organisation a wipe must find, while this device still knows it: its
 * spaces, the roots of their generations, and every segment those roots list or this device
 * tracks. Written into the pending tombstone, so a wipe cut short finishes without the graphs.
 */
export async function planWipe(org: ConvId, deps: PlanDeps): Promise<{ name: string; conversation: boolean; plan: WipePlan }> {
  const scope = deps.team.wipeScope(org)
  const spaces = new Set(scope.spaces)
  const docs = new Set<DocId>(scope.roots)
  for (const [doc, conv] of deps.convOfDoc) if (spaces.has(conv)) docs.add(doc)
  for (const space of spaces) for (const s of deps.segs.segmentsOf(space)) docs.add(s.id)
  for (const root of scope.roots) {
    const doc = await deps.docs.doc<RootDoc>(root)
    if (doc) for (const s of readSegments(root as string as ConvId, doc)) docs.add(s.id)
  }
  return { name: scope.name, conversation: scope.conversation, plan: { spaces: [...spaces], docs: [...docs] } }
}
