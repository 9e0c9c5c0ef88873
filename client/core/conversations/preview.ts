import type { ConvId } from '../../../protocol/index.js'
import { clip } from '../documents/fold.js'
import type { DisplayMessage } from '../documents/messageLog.js'
import type { Parts } from '../parts.js'
import type { Registry } from './registry.js'

/** Characters of a message's text a preview keeps (a list row shows one line of it). */
export const PREVIEW_CHARS = 120

/** The newest message of a conversation as its row in the conversation list shows it. */
export interface PreviewMessage {
  readonly authorName: string
  readonly mine: boolean
  /** The start of its text, at most PREVIEW_CHARS ('' when deleted or files only). */
  readonly text: string
  /** Names of its files, as the sender gave them (display only). */
  readonly files: readonly string[]
  readonly ts: number
  /** [M41] Deleted for everyone. */
  readonly deleted?: true
}

export interface ConversationPreview {
  readonly conv: ConvId
  readonly last?: PreviewMessage
  /** The newest message's time, or when this device joined: the list is sorted by it, newest first. */
  readonly activity: number
}

/**
 * The preview of one conversation: its newest shown message (the same list the conversation
 * shows, so a message [M26] hides or a scanner's verdicts [A4] never reach a preview). Loads the
 * conversation's newest segment if it is not loaded yet, and the epochs [M26] checks against;
 * emits nothing (the list asks again on the next `messages` event).
 */
export async function conversationPreview(parts: Pick<Parts, 'segs' | 'log' | 'epochs'>, registry: Pick<Registry, 'get'>, conv: ConvId): Promise<ConversationPreview | undefined> {
  const rec = registry.get(conv)
  if (!rec) return undefined
  await parts.epochs.load(conv)
  await parts.segs.open(conv)
  const list = parts.log.list(conv)
  const newest = list[list.length - 1]
  if (!newest) return { conv, activity: rec.joinedAt }
  return { conv, last: previewOf(newest), activity: Math.max(newest.ts, rec.joinedAt) }
}

function previewOf(m: DisplayMessage): PreviewMessage {
  const text = m.deleted ? '' : clip(m.text.replace(/\s+/g, ' ').trim(), PREVIEW_CHARS)
  const files = m.deleted ? [] : (m.files ?? []).map((f) => f.name)
  return { authorName: m.authorName, mine: m.mine, text, files, ts: m.ts, ...(m.deleted ? { deleted: true as const } : {}) }
}
