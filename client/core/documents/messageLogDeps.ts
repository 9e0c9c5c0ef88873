import type * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import type { Registry } from '../conversations/registry.js'
import type { Identity } from '../identity.js'
import type { Team } from '../team/team.js'
import type { HybridClock } from './hlc.js'
import type { ConversationLayout } from './layout.js'
import type { MessageEpochs } from './messageEpochs.js'
import type { SegmentDoc } from './model.js'
import type { SegmentWindow } from './segmentWindow.js'

/** What a conversation's message log (messageLog.ts) and its actions (messageActions.ts) work with. */
export interface MessageLogDeps {
  readonly registry: Registry
  readonly layout: ConversationLayout
  readonly segs: SegmentWindow
  readonly clock: HybridClock
  readonly identity: Identity
  readonly team: () => Team | undefined
  /** [M26] The epoch each received message was written under. */
  readonly epochs: MessageEpochs
  /** Tags of this device's messages not delivered yet. */
  readonly pending: Set<string>
  /**
   * Makes a local change to a segment and queues it in the outbox with the messages it carries.
   * `keep`: its "keep until" day ([M71]); by default the day the conversation's effective timer gives.
   * `after`: called with the document as the change left it, before anything else changes it.
   */
  readonly change: (conv: ConvId, doc: DocId, fns: A.ChangeFn<SegmentDoc>[], msgIds: string[], ts: number, keep?: number, after?: (doc: A.Doc<SegmentDoc>) => void) => Promise<Uint8Array[]>
  /**
   * [M3b] Appends records to a segment's list as one local change made without updating the
   * JavaScript document, and queues it like `change`; undefined when the segment cannot take
   * one that way (then `change` makes it).
   */
  readonly append: (conv: ConvId, doc: DocId, records: readonly object[], msgIds: string[], ts: number) => Promise<{ change: Uint8Array; ids: string[] } | undefined>
  readonly emitStatus: () => void
}
