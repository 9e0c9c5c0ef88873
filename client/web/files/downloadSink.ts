import type { FileSink } from '../../core/files/source.js'
import { hasOpfs } from './opfs.js'
import { opfsSink, type DownloadedFile } from './opfsSink.js'

/**
 * [W6] Where a download goes: the Origin Private File System, or — in a browser without it — a
 * Blob built from the chunks (the browser may page it to disk; never one large array).
 */
export async function downloadSink(key: string, type: string): Promise<FileSink & { done(): Promise<DownloadedFile> }> {
  if (hasOpfs()) {
    try {
      return await opfsSink(key, type)
    } catch {
      // Storage refused (private mode, quota): the Blob below still works for smaller files.
    }
  }
  let parts: BlobPart[] = []
  let finished = false
  return {
    write: async (bytes) => void parts.push(Uint8Array.from(bytes)),
    finish: async () => void (finished = true),
    abort: async () => void (parts = []),
    async done() {
      if (!finished) throw new Error('the download is not finished')
      const file = new File(parts, key, { type })
      parts = []
      return { file, remove: async () => undefined }
    },
  }
}
