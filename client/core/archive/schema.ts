import * as z from 'zod'
import { parseConvId, parseDeviceId, type ConvId, type DeviceId } from '../../../protocol/index.js'
import { MAX_MESSAGE_CHARS } from '../documents/model.js'

/**
 * [M31] What an export archive holds once opened (crypto [R5] seals it): CBOR, one version
 * number, schema-checked with bounds when read — an archive file is untrusted input like any
 * other (it may come from anyone, or be damaged).
 */
export const ARCHIVE_FORMAT = 'fieldchat-export'
export const ARCHIVE_CONTENT_VERSION = 1

/**
 * Bounds a reader holds an archive to. The sealed file is refused above `maxBytes` before any
 * work; the rest bound what a hostile but well-sealed archive can make a reader build.
 */
export const ARCHIVE_LIMITS = {
  maxBytes: 512 * 1024 * 1024,
  conversations: 100_000,
  messagesPerConversation: 5_000_000,
  authorsPerConversation: 100_000,
  name: 1_000,
  id: 200,
} as const

export type ConversationKind = 'org' | 'group' | 'conversation'

/** One message as archived: its author by device id (named in the conversation's `authors`). */
export interface ArchivedMessageRecord {
  readonly id: string
  readonly author: DeviceId
  readonly ts: number
  readonly text: string
  readonly replyTo?: string
  /** [M26] Hidden on the exporting device: written under an epoch its author was not a member device of. */
  readonly hidden?: true
  /** Written on the exporting device and not yet delivered when exported. */
  readonly pending?: true
}

export interface ArchivedConversationRecord {
  readonly id: ConvId
  readonly title: string
  readonly kind: ConversationKind
  /** The organisation of an organisation's own conversation or of a group. */
  readonly org?: { readonly id: ConvId; readonly name: string }
  readonly authors: readonly { readonly device: DeviceId; readonly name: string }[]
  readonly messages: readonly ArchivedMessageRecord[]
}

export interface ArchiveRecord {
  readonly format: typeof ARCHIVE_FORMAT
  readonly v: typeof ARCHIVE_CONTENT_VERSION
  readonly exportedAt: number
  readonly by: { readonly device: DeviceId; readonly name: string }
  readonly conversations: readonly ArchivedConversationRecord[]
}

const L = ARCHIVE_LIMITS
const convId = z.custom<ConvId>((s) => parseConvId(s) !== undefined)
const deviceId = z.custom<DeviceId>((s) => parseDeviceId(s) !== undefined)
const name = z.string().max(L.name)
const time = z.number().int().min(0).max(8.64e15)

const messageSchema = z.strictObject({
  id: z.string().min(1).max(L.id),
  author: deviceId,
  ts: time,
  text: z.string().max(MAX_MESSAGE_CHARS),
  replyTo: z.string().min(1).max(L.id).optional(),
  hidden: z.literal(true).optional(),
  pending: z.literal(true).optional(),
})

const conversationSchema = z.strictObject({
  id: convId,
  title: name,
  kind: z.enum(['org', 'group', 'conversation']),
  org: z.strictObject({ id: convId, name }).optional(),
  authors: z.array(z.strictObject({ device: deviceId, name })).max(L.authorsPerConversation),
  messages: z.array(messageSchema).max(L.messagesPerConversation),
})

/** A newer archive is told apart from a damaged one by this alone (M522 rather than M521). */
export const archiveVersionSchema = z.looseObject({ format: z.literal(ARCHIVE_FORMAT), v: z.number() })

export const archiveSchema: z.ZodType<ArchiveRecord> = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  v: z.literal(ARCHIVE_CONTENT_VERSION),
  exportedAt: time,
  by: z.strictObject({ device: deviceId, name }),
  conversations: z.array(conversationSchema).max(L.conversations),
})
