import type { ConvId, DocId } from '../../../protocol/index.js'
import type { ConversationRecord } from '../conversations/registry.js'
import type { MailOutbox } from '../outbox/mailOutbox.js'
import type { SocketFactory } from './transport.js'

/** How a SyncEngine is set up (its own file, like its events, so the engine file holds behaviour). */
export interface EngineOptions {
  readonly url: string
  readonly socket: SocketFactory
  /** Which documents of a conversation to subscribe to (root and known segments). */
  readonly docsOf: (conv: ConvId) => DocId[]
  readonly backoff?: { initialMs: number; maxMs: number }
  readonly heartbeatMs?: number
  /** [M33] How long a hole in a document's live sequence may stay open before it is fetched again. */
  readonly gapWaitMs?: number
  /** Acknowledged envelopes of one document after which this device snapshots its own log ([E12]). */
  readonly snapshotEvery?: number
  /** Mail to deliver to other devices ([S11]). */
  readonly mail?: MailOutbox
  /**
   * The admin secrets for a rotation of the server's capability: `sign` (the admin key the server
   * holds, for the epoch it is at) and `next` (the new admin key). Default: the record's one secret.
   */
  readonly adminSecrets?: (conv: ConvId, rec: ConversationRecord) => { sign: Uint8Array; next: Uint8Array } | undefined
  /** Root documents of a conversation (every generation's, [M24]); default: the conversation id. */
  readonly isRoot?: (conv: ConvId, doc: DocId) => boolean
  /** Items from this device's mailbox, handled before the next frame; call `mailDone` after. */
  readonly onMail?: (items: { id: number; body: Uint8Array; fanout: number }[]) => Promise<void>
  /** [M26] Was `device` (hex) a member device of `epoch`? undefined: the conversation has no membership graph. */
  readonly memberOfEpoch?: (conv: ConvId, epoch: number, device: string) => boolean | undefined
  /** [S12] The position of an epoch in the conversation's graph order; undefined when unknown. */
  readonly epochRank?: (conv: ConvId, epoch: number) => number | undefined
  /** [M26] Messages a received envelope created, with its epoch (kept for re-checking). */
  readonly recordEpochs?: (conv: ConvId, doc: DocId, batches: readonly { ids: readonly string[]; epoch: number }[]) => Promise<void>
  /** [T19] Removal notices in the mail outbox may leave now. Default: always. */
  readonly noticesMayGo?: () => boolean
}
