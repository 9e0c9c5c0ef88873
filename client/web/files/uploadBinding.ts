import { createStore, reconcile, produce, unwrap } from 'solid-js/store'
import { onCleanup } from 'solid-js'
import { ClientError, ClientErrorCode } from '../../core/errors.js'
import type { FileVerdict } from '../../core/files/check/index.js'
import type { UploadView } from '../../core/files/uploads.js'
import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { blobSource } from './blobSource.js'
import { checkOutgoing, reasonsText } from './checks.js'
import { DEFAULT_PHOTO_OPTIONS, mediaKind, preparePhoto, prepareFile, previewOf, type MediaKind, type PhotoOptions, type Preview } from './media.js'

/** One chosen file in the tray, before sending. */
export interface TrayItem {
  readonly id: number
  readonly file: File
  readonly kind: MediaKind
  /** Undefined while the thumbnail is being made. */
  readonly preview?: Preview
  /** Undefined while the check runs ([W8]). */
  readonly verdict?: FileVerdict
  readonly options: PhotoOptions
  /** A warned file the person chose to send anyway (the deliberate second step). */
  readonly confirmed: boolean
  /** The file could not be read for the check: it is not sent. */
  readonly problem?: string
}

/** Whether a tray item may go: checked, not blocked, a warning confirmed. */
export const sendable = (t: TrayItem): boolean => !!t.verdict && t.verdict.level !== 'block' && (t.verdict.level === 'ok' || t.confirmed)

let nextId = 1

/**
 * [W8] The file outbox of one conversation for Solid: the engine's uploads (progress, state,
 * Cancel, Retry; they survive reloads because the engine keeps them), and the tray of files
 * chosen but not sent, each previewed and checked as soon as it is added.
 */
export function bindUploads(messenger: Messenger, conv: ConvId) {
  const [uploads, setUploads] = createStore<UploadView[]>(messenger.uploads(conv))
  onCleanup(messenger.events.on('uploads', () => setUploads(reconcile(messenger.uploads(conv), { key: 'id' }))))
  const [tray, setTray] = createStore<TrayItem[]>([])
  const update = (id: number, change: Partial<Omit<TrayItem, 'id' | 'file' | 'kind'>>) =>
    setTray(produce((list) => {
      const i = list.findIndex((t) => t.id === id)
      if (i >= 0) list[i] = { ...list[i]!, ...change }
    }))

  return {
    uploads: () => uploads,
    cancel: (id: string) => messenger.cancelUpload(id),
    retry: (id: string) => messenger.retryUpload(id),
    tray: () => tray,
    /** Adds chosen, dropped or pasted files; each is previewed and checked in the background. */
    add(files: readonly File[]): void {
      for (const file of files) {
        const item: TrayItem = { id: nextId++, file, kind: mediaKind(file), options: DEFAULT_PHOTO_OPTIONS, confirmed: false }
        setTray((list) => [...list, item])
        void previewOf(file).then((preview) => update(item.id, { preview }), () => update(item.id, { preview: { kind: item.kind } }))
        void checkOutgoing(messenger, conv, blobSource(file), file.name, file.type).then(
          (verdict) => update(item.id, { verdict }),
          (err: unknown) => update(item.id, { problem: `It could not be read for the file check (${err instanceof Error ? err.message : String(err)}).` }),
        )
      }
    },
    remove: (id: number) => setTray((list) => list.filter((t) => t.id !== id)),
    setOptions: (id: number, options: PhotoOptions) => update(id, { options }),
    confirm: (id: number) => update(id, { confirmed: true }),
    /** Every item checked, none blocked, every warning confirmed. */
    ready: () => tray.length > 0 && tray.every((t) => sendable(t) && !!t.preview),
    /**
     * Sends the tray as one message with `caption`: each photo prepared as chosen ([W3]), then
     * handed to the engine, which seals and queues it (offline too). The tray empties once queued.
     */
    async send(caption: string): Promise<void> {
      const items = unwrap(tray).filter(sendable)
      if (!items.length || items.length !== tray.length) throw new Error('Some files are not checked yet or need your confirmation.')
      const prepared = []
      for (const t of items) {
        const preview = t.preview ?? { kind: t.kind }
        prepared.push(t.kind === 'photo' ? await preparePhoto(t.file, preview, t.options) : prepareFile(t.file, preview))
      }
      // The second step the person took on a warned file goes to the engine, which checks again.
      const sending = messenger.sendFiles(conv, prepared.map((p, i) => ({ ...p.attachment, ...(items[i]!.confirmed ? { confirmed: true } : {}) })), caption)
      // The tray empties at once: the upload shows in the list while it is encrypted (its
      // progress, Cancel), and a second Send cannot send the same files again.
      setTray([])
      try {
        await sending
      } catch (err) {
        // Cancelled while it was encrypted: the person's own choice. Refused: the files come back to the tray, with the reason.
        if (err instanceof ClientError && err.code === ClientErrorCode.UPLOAD_CANCELLED) return
        setTray((list) => [...items, ...list])
        throw err
      }
    },
  }
}

export type UploadsBinding = ReturnType<typeof bindUploads>

export { reasonsText }
