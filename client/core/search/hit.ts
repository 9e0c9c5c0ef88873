import type { ConvId, DeviceId, DocId } from '../../../protocol/index.js'
import type { Snippet } from './snippet.js'

export type { Snippet }

/** [M52] One message found by `Messenger.search`. */
export interface SearchHit {
  readonly conv: ConvId
  /** The conversation's title now. */
  readonly convTitle: string
  /** The message's id (as `messages()` and `messageContext` name it). */
  readonly id: string
  readonly segment: DocId
  readonly ts: number
  readonly author: DeviceId
  /** The author's name now. */
  readonly authorName: string
  readonly text: string
  readonly snippet: Snippet
  /** Relevance (higher first); comparable within one search only. */
  readonly score: number
}

export interface SearchOptions {
  /** Only this conversation (default: all on this device). */
  readonly conv?: ConvId
  /** At most this many hits (default 50, at most 200, [M52]). */
  readonly limit?: number
}

/**
 * [M53] How far indexing is: `segments` indexed (in memory), `queued`: segments waiting for the
 * background walk (so `segments` of `segments + queued` are done), `read`: segments read from their
 * documents since this device opened.
 */
export interface SearchStatus {
  readonly indexing: boolean
  readonly segments: number
  readonly queued: number
  readonly read: number
}
