import { deriveCapability, type Capability } from '../../../crypto/index.js'
import { idBytes, type BlobSpaceUsage, type ConvId } from '../../../protocol/index.js'
import type { Registry } from '../conversations/registry.js'
import type { MessageLog } from '../documents/messageLog.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { BlobClient, type BlobAccess, type Fetch } from './blobClient.js'
import { downloadFile, readFileRange, storedFileSource, type DownloadOptions } from './downloads.js'
import type { FileRef } from './ref.js'
import type { FileSink, FileSource } from './source.js'
import { checkFile, type FilePolicy, type FileVerdict } from './check/index.js'
import type { Spool } from './spool.js'
import { Uploads, type Attachment, type UploadsDeps, type UploadView } from './uploads.js'
import { refOf } from './uploadRecord.js'
import { newMessageId } from '../ids.js'
import type { HybridClock } from '../documents/hlc.js'

export interface AttachmentsDeps {
  readonly store: LocalStore
  readonly spool: Spool
  readonly reopen?: UploadsDeps['reopen']
  readonly syncUrl: string
  readonly fetch?: Fetch
  readonly registry: Registry
  readonly log: MessageLog
  readonly clock: HybridClock
  readonly changed: () => void
  /** [T21][H8] The file policy of a conversation's organisation (none: the defaults). */
  readonly filePolicy: (conv: ConvId) => FilePolicy | undefined
  readonly putChunks?: number
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  /** The message naming the files was written (push wakes, [M64]). */
  readonly written?: (conv: ConvId, tag: string) => void
}

/**
 * [A1]–[A3] Files in conversations: the upload queue, downloads and ranged reads, each request
 * signed with the conversation's capability at this device's epoch ([K9]) and, for a new blob in
 * a group, its organisation's (the quota space, protocol [B4]).
 */
export class Attachments {
  readonly uploads: Uploads
  private readonly client: BlobClient
  private readonly caps = new Map<string, Capability>()

  constructor(private readonly deps: AttachmentsDeps) {
    this.client = new BlobClient(deps.syncUrl, deps.fetch)
    this.uploads = new Uploads({
      store: deps.store,
      spool: deps.spool,
      ...(deps.reopen ? { reopen: deps.reopen } : {}),
      client: this.client,
      access: (conv) => this.access(conv),
      write: async (u) => {
        await deps.log.write(u.conv as ConvId, { text: u.caption, files: u.files.map(refOf), tag: u.tag, ts: u.ts, ...(u.replyTo ? { replyTo: u.replyTo } : {}), ...(u.fwd ? { fwd: true } : {}) })
        deps.written?.(u.conv as ConvId, u.tag)
      },
      changed: deps.changed,
      check: (conv, source, claim, sha256) => checkFile(source, claim, sha256, deps.filePolicy(conv)),
      ...(deps.putChunks ? { putChunks: deps.putChunks } : {}),
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
    })
  }

  /** Seals and queues files as one message; resolves once they are in the outbox (offline too). */
  send(conv: ConvId, files: readonly Attachment[], caption: string, replyTo?: string, fwd?: true): Promise<string> {
    return this.uploads.add(conv, newMessageId(), this.deps.clock.now(), files, caption, replyTo, fwd)
  }

  /** [M44] A file of a message in `conv`, to be read again (fetched and opened as it is read). */
  sourceOf(conv: ConvId, ref: FileRef): FileSource {
    return storedFileSource(this.downloadDeps(), conv, ref)
  }

  /**
   * [B13] What the files of a space take on the server: an organisation's counts the files of its
   * groups and its own conversation (protocol [B4]). Needs the link; undefined without a key for it.
   */
  async storage(space: ConvId, signal?: AbortSignal): Promise<BlobSpaceUsage | undefined> {
    const own = this.capOf(space)
    return own ? this.client.usage(own, signal) : undefined
  }

  list(conv?: ConvId): UploadView[] {
    return this.uploads.list(conv)
  }

  download(conv: ConvId, ref: FileRef, sink: FileSink, opts?: DownloadOptions): Promise<void> {
    return downloadFile(this.downloadDeps(), conv, ref, sink, opts)
  }

  readRange(conv: ConvId, ref: FileRef, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
    return readFileRange(this.downloadDeps(), conv, ref, start, end, signal)
  }

  /**
   * [H5] The receiving side's checks, before a downloaded file is opened or saved: the content
   * against its name and declared type, and the organisation's policy.
   */
  check(conv: ConvId, ref: FileRef, content: FileSource): Promise<FileVerdict> {
    return checkFile(content, { name: ref.name, type: ref.type }, ref.sha256, this.deps.filePolicy(conv))
  }

  private downloadDeps() {
    return { client: this.client, access: (conv: ConvId) => this.access(conv) }
  }

  /** [K9] What signs for `conv` now: undefined while this device holds no key for its epoch. */
  access(conv: ConvId): BlobAccess | undefined {
    const own = this.capOf(conv)
    if (!own) return undefined
    const rec = this.deps.registry.get(conv)
    const org = rec?.space?.kind === 'group' ? rec.space.org : undefined
    const space = org ? this.capOf(org) : undefined
    return { ...own, ...(space ? { space } : {}) }
  }

  private capOf(conv: ConvId): { conv: ConvId; epoch: number; cap: Capability } | undefined {
    const rec = this.deps.registry.get(conv)
    const key = rec?.keys.get(rec.epoch)
    if (!rec || !key) return undefined
    const id = `${conv}/${rec.epoch}`
    let cap = this.caps.get(id)
    if (!cap) {
      if (this.caps.size > 256) this.caps.clear()
      this.caps.set(id, (cap = deriveCapability(key, idBytes(conv), rec.epoch)))
    }
    return { conv, epoch: rec.epoch, cap }
  }
}
