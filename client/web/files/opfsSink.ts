import type { FileSink } from '../../core/files/source.js'
import { OPFS_DOWNLOADS, opfsFolder, removeEntry } from './opfs.js'

/** A finished download: a disk-backed File (never the whole content on the heap), and removal. */
export interface DownloadedFile {
  readonly file: File
  remove(): Promise<void>
}

export type OpfsSink = FileSink & {
  /** The finished content; only after `finish`. */
  done(): Promise<DownloadedFile>
}

/**
 * [W6] A download written into the `downloads` folder of the Origin Private File System through
 * one writable; `finish` commits it (the engine calls it only once the content's SHA-256 matched),
 * `abort` discards it: nothing of a damaged or cancelled download remains. The File it gives is
 * backed by the disk, so an object URL of a 300 MB video costs no memory.
 */
export async function opfsSink(key: string, type: string): Promise<OpfsSink> {
  const dir = await opfsFolder(OPFS_DOWNLOADS)
  const name = `${key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}.bin`
  const handle = await dir.getFileHandle(name, { create: true })
  const writable = await handle.createWritable()
  let finished = false
  return {
    async write(bytes) {
      await writable.write(bytes as Uint8Array<ArrayBuffer>)
    },
    async finish() {
      await writable.close()
      finished = true
    },
    async abort() {
      await writable.abort().catch(() => undefined)
      await removeEntry(dir, name)
    },
    async done() {
      if (!finished) throw new Error('the download is not finished')
      const raw = await handle.getFile()
      const file = new File([raw], name, { type })
      return { file, remove: () => removeEntry(dir, name) }
    },
  }
}

/** Downloads left from earlier sessions are opened again by downloading: they are cleared at start. */
export async function clearDownloads(): Promise<void> {
  const root = await navigator.storage.getDirectory()
  await root.removeEntry(OPFS_DOWNLOADS, { recursive: true }).catch(() => undefined)
}
