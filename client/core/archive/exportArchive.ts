import { sealArchive, type ArchiveKdf } from '../../../crypto/index.js'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import type { DisplayMessage } from '../documents/messageLog.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { encodeRecord } from '../storage/records.js'
import type { OrgPolicy } from '../team/org.js'
import { ARCHIVE_CONTENT_VERSION, ARCHIVE_FORMAT, type ArchiveRecord, type ArchivedConversationRecord, type ArchivedMessageRecord, type ConversationKind } from './schema.js'

/** [M31] The shortest export passphrase the app and the CLI accept (they check it; this refuses less as misuse). */
export const MIN_ARCHIVE_PASSPHRASE = 8

/** What the export reads of organisations: the policy ([T21]) and names. */
export interface ExportTeam {
  orgOf(conv: ConvId): ConvId | undefined
  policy(org: ConvId): OrgPolicy
  isConversation(conv: ConvId): boolean
  orgs(): readonly { readonly org: ConvId; readonly name: string }[]
}

/** The part of the Messenger an export reads (the Messenger itself, in the app and the CLI). */
export interface ExportSource {
  readonly identity: { readonly deviceId: DeviceId; readonly name: string } | undefined
  readonly team: ExportTeam
  conversations(): readonly { readonly conv: ConvId }[]
  titleOf(conv: ConvId): string
  openConversation(conv: ConvId): Promise<void>
  hasEarlier(conv: ConvId): boolean
  loadEarlier(conv: ConvId): Promise<void>
  messages(conv: ConvId, opts: { withHidden: true }): readonly DisplayMessage[]
}

export interface ExportRequest {
  /** The conversations to export, in this order; every conversation on the device when absent. */
  readonly convs?: readonly ConvId[]
  readonly passphrase: string
  /** Argon2id parameters (crypto [R5]); tests make them small. Default: crypto [R4]'s. */
  readonly kdf?: ArchiveKdf
  readonly now?: number
}

export interface ExportResult {
  /** The sealed archive file. */
  readonly bytes: Uint8Array
  readonly conversations: readonly { readonly conv: ConvId; readonly title: string; readonly messages: number }[]
}

/**
 * [M31][T21] Whether the organisation of `conv` (itself, or the one its group belongs to)
 * forbids export, as this device's copy of its signed policy says now.
 */
export function exportForbidden(team: ExportTeam, conv: ConvId): boolean {
  return team.policy(team.orgOf(conv) ?? conv).forbidExport
}

/**
 * [M31] Exports conversations to an archive sealed under a passphrase (crypto [R5]): every
 * message of every segment, with its author's name and device, its time and text, hidden ones
 * ([M26]) flagged. The policy is checked first, on this device, for every conversation asked
 * for: one whose organisation forbids export refuses the whole export (M510), before anything is
 * read. Nothing is written to the store; the clear content exists only in memory.
 */
export async function exportArchive(source: ExportSource, request: ExportRequest): Promise<ExportResult> {
  const me = source.identity
  if (!me) throw new Error('create an identity first')
  if (request.passphrase.length < MIN_ARCHIVE_PASSPHRASE) throw new RangeError(`an export passphrase has at least ${MIN_ARCHIVE_PASSPHRASE} characters`)
  const onDevice = new Set(source.conversations().map((c) => c.conv))
  const convs = [...new Set(request.convs ?? onDevice)]
  for (const conv of convs) if (!onDevice.has(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION, conv)
  const forbidding = [...new Set(convs.filter((c) => exportForbidden(source.team, c)).map((c) => orgName(source, source.team.orgOf(c) ?? c)))]
  if (forbidding.length) throw new ClientError(ClientErrorCode.EXPORT_FORBIDDEN, forbidding.join(', '))

  const conversations: ArchivedConversationRecord[] = []
  for (const conv of convs) conversations.push(await exportConversation(source, conv))
  const record: ArchiveRecord = { format: ARCHIVE_FORMAT, v: ARCHIVE_CONTENT_VERSION, exportedAt: request.now ?? Date.now(), by: { device: me.deviceId, name: me.name }, conversations }
  const plain = encodeRecord(record)
  try {
    const bytes = await sealArchive(request.passphrase, plain, request.kdf)
    return { bytes, conversations: conversations.map((c) => ({ conv: c.id, title: c.title, messages: c.messages.length })) }
  } finally {
    plain.fill(0)
  }
}

/** Every segment of the conversation (as `messages CONV --all` loads them), then its messages. */
async function exportConversation(source: ExportSource, conv: ConvId): Promise<ArchivedConversationRecord> {
  await source.openConversation(conv)
  while (source.hasEarlier(conv)) await source.loadEarlier(conv)
  const shown = source.messages(conv, { withHidden: true })
  const authors = new Map<DeviceId, string>()
  for (const m of shown) authors.set(m.author, m.authorName)
  const kind = kindOf(source.team, conv)
  const org = source.team.orgOf(conv)
  return {
    id: conv,
    title: source.titleOf(conv),
    kind,
    ...(kind !== 'conversation' && org ? { org: { id: org, name: orgName(source, org) } } : {}),
    authors: [...authors].map(([device, name]) => ({ device, name })),
    messages: shown.map(messageRecord),
  }
}

const messageRecord = (m: DisplayMessage): ArchivedMessageRecord => ({
  id: m.id,
  author: m.author,
  ts: m.ts,
  text: m.text,
  ...(m.replyTo ? { replyTo: m.replyTo } : {}),
  ...(m.hidden ? { hidden: true as const } : {}),
  ...(m.pending ? { pending: true as const } : {}),
})

function kindOf(team: ExportTeam, conv: ConvId): ConversationKind {
  const org = team.orgOf(conv)
  return team.isConversation(conv) || org === undefined ? 'conversation' : org === conv ? 'org' : 'group'
}

const orgName = (source: ExportSource, org: ConvId): string => source.team.orgs().find((o) => o.org === org)?.name ?? source.titleOf(org)

/** `fieldchat-export-YYYY-MM-DD.fcarchive`, the date as the person's clock reads it. */
export function archiveFileName(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0')
  return `fieldchat-export-${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}.fcarchive`
}
