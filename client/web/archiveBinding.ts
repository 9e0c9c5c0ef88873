import { archiveFileName, exportArchive, exportForbidden, MIN_ARCHIVE_PASSPHRASE } from '../core/archive/exportArchive.js'
import { openArchive, type ArchiveView } from '../core/archive/openArchive.js'
import { ARCHIVE_LIMITS } from '../core/archive/schema.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import type { Messenger } from '../core/messenger.js'
import type { ConvId } from '../../protocol/index.js'

export type { ArchiveView, ArchivedConversation, ArchivedMessage } from '../core/archive/openArchive.js'
export { MIN_ARCHIVE_PASSPHRASE }

/** One conversation the export form offers; `forbidden`: its organisation's policy forbids export ([T21]). */
export interface ExportChoice {
  readonly conv: ConvId
  readonly title: string
  readonly forbidden: boolean
}

/** [M31] Export and open archives for the UI: each action is one engine call, plus the browser's file handling. */
export interface ArchiveBinding {
  /** The conversations on this device, as the policy allows them now. */
  choices(): ExportChoice[]
  /** Seals the conversations under the passphrase and hands the file to the browser as a download. */
  exportAndDownload(convs: readonly ConvId[], passphrase: string): Promise<{ fileName: string; conversations: number; messages: number }>
  /** Opens an archive file read-only; nothing of it reaches this device's store. */
  open(file: Blob, passphrase: string): Promise<ArchiveView>
}

/** Lets the busy state paint before Argon2id holds the main thread for a second or two. */
const nextFrame = () => new Promise<void>((r) => setTimeout(r, 30))

export function bindArchive(messenger: Messenger): ArchiveBinding {
  return {
    choices() {
      if (!messenger.identity) return []
      return messenger.conversations().map((c) => ({ conv: c.conv, title: c.title, forbidden: exportForbidden(messenger.team, c.conv) }))
    },
    async exportAndDownload(convs, passphrase) {
      await nextFrame()
      const out = await exportArchive(messenger, { convs, passphrase })
      const fileName = archiveFileName(new Date())
      download(out.bytes, fileName)
      return { fileName, conversations: out.conversations.length, messages: out.conversations.reduce((n, c) => n + c.messages, 0) }
    },
    async open(file, passphrase) {
      // Refused by its size before it is read: a file is untrusted input.
      if (file.size > ARCHIVE_LIMITS.maxBytes) throw new ClientError(ClientErrorCode.ARCHIVE_DAMAGED, `larger than ${ARCHIVE_LIMITS.maxBytes / 1024 / 1024} MiB`)
      const bytes = new Uint8Array(await file.arrayBuffer())
      await nextFrame()
      return openArchive(bytes, passphrase)
    },
  }
}

/** A download through a Blob link; the link's URL is revoked once the browser has taken the file. */
function download(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.hidden = true
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
