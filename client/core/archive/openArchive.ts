import { CryptoErrorCode, unsealArchive } from '../../../crypto/index.js'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { decodeRecord } from '../storage/records.js'
import { ARCHIVE_CONTENT_VERSION, ARCHIVE_LIMITS, archiveSchema, archiveVersionSchema, type ArchiveRecord, type ConversationKind } from './schema.js'

/** [M31] An opened archive: read-only (frozen), and apart from the device's own conversations. */
export interface ArchiveView {
  readonly exportedAt: number
  /** The device and person that exported it. */
  readonly by: { readonly device: DeviceId; readonly name: string }
  readonly conversations: readonly ArchivedConversation[]
}

export interface ArchivedConversation {
  readonly id: ConvId
  readonly title: string
  readonly kind: ConversationKind
  readonly org?: { readonly id: ConvId; readonly name: string }
  readonly messages: readonly ArchivedMessage[]
}

export interface ArchivedMessage {
  readonly id: string
  readonly author: DeviceId
  /** The author's name as the exporting device knew it. */
  readonly authorName: string
  readonly ts: number
  readonly text: string
  readonly replyTo?: string
  /** [M26] The exporting device did not show it: its author was not a member device of its epoch. */
  readonly hidden?: true
  /** Not yet delivered by the exporting device when it was exported. */
  readonly pending?: true
}

/**
 * [M31] Opens an archive file read-only. The file is untrusted input: one larger than
 * `ARCHIVE_LIMITS.maxBytes` is refused before any work, the crypto layer bounds the key
 * derivation (crypto [R5]), and the content is schema-checked with bounds. A wrong passphrase is
 * M520, a newer archive M522, anything else (not an archive, damaged, cut short) M521; nothing
 * partial is returned. It reads no store and writes none: opening an archive never touches the
 * device's own conversations.
 */
export async function openArchive(bytes: Uint8Array, passphrase: string): Promise<ArchiveView> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('an archive is bytes')
  if (bytes.length > ARCHIVE_LIMITS.maxBytes) throw new ClientError(ClientErrorCode.ARCHIVE_DAMAGED, `larger than ${ARCHIVE_LIMITS.maxBytes / 1024 / 1024} MiB`)
  if (!passphrase) throw new ClientError(ClientErrorCode.ARCHIVE_PASSPHRASE)
  const opened = await unsealArchive(passphrase, bytes)
  if (!opened.ok) {
    const detail = opened.detail ? `${opened.code}: ${opened.detail}` : opened.code
    if (opened.code === CryptoErrorCode.UNSUPPORTED_VERSION) throw new ClientError(ClientErrorCode.ARCHIVE_VERSION, detail)
    if (opened.code === CryptoErrorCode.DECRYPT_FAILED && opened.detail === 'passphrase') throw new ClientError(ClientErrorCode.ARCHIVE_PASSPHRASE)
    throw new ClientError(ClientErrorCode.ARCHIVE_DAMAGED, detail)
  }
  try {
    const record = decodeRecord(opened.value, archiveSchema)
    if (!record) {
      const version = decodeRecord(opened.value, archiveVersionSchema)
      if (version && version.v > ARCHIVE_CONTENT_VERSION) throw new ClientError(ClientErrorCode.ARCHIVE_VERSION, `content v${version.v}`)
      throw new ClientError(ClientErrorCode.ARCHIVE_DAMAGED, 'contents')
    }
    return freeze(viewOf(record))
  } finally {
    opened.value.fill(0)
  }
}

function viewOf(record: ArchiveRecord): ArchiveView {
  return {
    exportedAt: record.exportedAt,
    by: record.by,
    conversations: record.conversations.map((c) => {
      const names = new Map(c.authors.map((a) => [a.device, a.name]))
      return {
        id: c.id,
        title: c.title,
        kind: c.kind,
        ...(c.org ? { org: c.org } : {}),
        messages: c.messages.map((m) => ({ ...m, authorName: names.get(m.author) ?? `Device ${m.author.slice(0, 6)}` })),
      }
    }),
  }
}

/** Read-only all the way down: a view of an archive cannot be edited by mistake. */
function freeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) freeze(v)
    Object.freeze(value)
  }
  return value
}
