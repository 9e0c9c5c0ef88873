import type { ConvId } from '../../protocol/index.js'
import type { ConnectionState } from './sync/engineEvents.js'
import type { ClientErrorCode as Code } from './errors.js'
import type { HybridClock } from './documents/hlc.js'
import type { MessageView } from './documents/model.js'
import type { DisplayMessage } from './documents/messageLog.js'
import type { LocalStore } from './storage/LocalStore.js'
import type { SocketFactory } from './sync/transport.js'
import type { WipedOrg } from './wipe/tombstone.js'
import type { Spool } from './files/spool.js'
import type { UploadsDeps } from './files/uploads.js'
import type { Fetch } from './files/blobClient.js'

/** The Messenger's options and events, apart from it so that its parts can name them without importing it. */
export interface MessengerOptions {
  readonly store: LocalStore
  /** ws(s)://host/sync */
  readonly url: string
  readonly socket: SocketFactory
  readonly clock?: HybridClock
  readonly heartbeatMs?: number
  readonly backoff?: { initialMs: number; maxMs: number }
  /** Messages per segment before rolling over (tests use small values). */
  readonly segmentCapacity?: number
  /** Acknowledged envelopes per document before this device snapshots its own log. */
  readonly snapshotEvery?: number
  /** Bytes of membership ops per bundle part ([T13]); tests make it small. */
  readonly bundleBytes?: number
  /** [A2] Where sealed files wait to be uploaded (default: memory, lost on exit — the CLI and the web app give a lasting one). */
  readonly spool?: Spool
  /** [A2] Opens a file again by the `origin` it was attached with (the CLI: a path); such files are sealed again as they are sent instead of copied into the spool. */
  readonly reopenFile?: UploadsDeps['reopen']
  /** HTTP for the blob store (default: the global fetch). */
  readonly fetch?: Fetch
  /** [A2] Upload tuning: chunks per PUT and retry backoff (tests make them small). */
  readonly uploadPutChunks?: number
  readonly uploadBackoff?: { readonly baseMs: number; readonly maxMs: number }
  /** [M53] Search indexing: starts `startDelayMs` after opening (default 1 s; a search starts it at once); a changed segment's record is saved `saveDelayMs` after the change (default 1 s). */
  readonly search?: { readonly startDelayMs?: number; readonly saveDelayMs?: number }
  /** [M57] How long cursor changes wait before their `receipt` signal goes (default 300 ms). */
  readonly receiptDelayMs?: number
  /** [Q7] This app's version and platform, as the organisation's usage statistics show them (device management). */
  readonly app?: { readonly version: string; readonly platform: string }
  /** [Q4] When usage reports leave (default: each at its own random time of the two days after its day); tests make it immediate. */
  readonly statsTiming?: { readonly windowMs: number; readonly immediate?: boolean }
}

export interface ConversationSummary {
  readonly conv: ConvId
  readonly title: string
  readonly members: number
}

export interface Status {
  readonly connection: ConnectionState
  readonly pending: number
}

export interface MessengerEvents extends Record<string, unknown> {
  status: Status
  conversations: void
  /** [A2] The upload queue changed (added, progress, done, failed). */
  uploads: void
  /**
   * What a conversation shows changed. `onlyAdded`: nothing it showed before changed, and what it
   * shows anew (if anything: a root change that lists a new segment shows nothing yet) is what
   * the `added` event just before named ([M56] counts on from there, not over the whole window).
   */
  messages: { conv: ConvId; onlyAdded?: true }
  /** Messages that appeared in a loaded segment (local or remote), in no particular order. */
  added: { conv: ConvId; messages: MessageView[] }
  /** [M45] Messages already shown that changed (edited, deleted, reactions, pin, the quote they show), as now shown. */
  updated: { conv: ConvId; messages: DisplayMessage[] }
  problem: { code: Code; detail?: string }
  /** [V3] The conversation's call changed (ringing, someone came or went, ended): `calls.view(conv)` answers anew; `refused`: why this device refused it ([V6]). */
  calls: { conv: ConvId; refused?: string }
  /** [M56] Another device's delivered or read cursor in this conversation changed: `receipts()` answers anew. */
  receipts: { conv: ConvId }
  /** [M59] Who is typing in this conversation now (names; empty once nobody is). */
  typing: { conv: ConvId; names: string[] }
  /** [M56] The unread count of a conversation changed; `total` over every conversation. */
  unread: { conv: ConvId; count: number; total: number }
  /** [T11] This conversation has messages waiting for a key this device does not hold yet. */
  waiting: { conv: ConvId; waiting: boolean }
  /** The server refused this device's access to a conversation (removed), or granted it again. */
  access: { conv: ConvId; lost: boolean }
  /**
   * [M30] This device deleted its data for an organisation it was removed from; `spaces`: the
   * organisation and the groups of it that were deleted (to close what shows them).
   */
  wiped: WipedOrg & { readonly spaces: readonly ConvId[] }
}
