import { FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'
import { wholeChunks, type Spool } from '../../core/files/spool.js'
import { fileNames, OPFS_SPOOL, opfsFolder, removeEntry } from './opfs.js'

/** A spool entry's name as the engine makes it: the upload's tag, a dot, the file's index. */
const ID = /^[A-Za-z0-9_-]{1,40}\.[0-9]{1,3}$/

/**
 * [W5] The web app's lasting spool (client/core [A2]): one OPFS file per queued file in the
 * `spool` folder, sealed chunk i at offset i × 65,552. While an entry is being written one
 * writable stays open (its writes go to the browser's swap file); `flush` closes it, which
 * commits them, so an entry is whole on disk before its upload record says so. A reload in
 * between leaves no half entry: the swap file is discarded. Reads are slices of `getFile()`:
 * memory holds one PUT's worth.
 */
export async function openOpfsSpool(): Promise<Spool> {
  const dir = await opfsFolder(OPFS_SPOOL)
  const writing = new Map<string, FileSystemWritableFileStream>()
  const checked = (id: string) => {
    if (!ID.test(id)) throw new Error('not a spool id')
    return id
  }
  return {
    async write(id, index, sealed) {
      wholeChunks(sealed)
      let w = writing.get(id)
      if (!w) {
        const file = await dir.getFileHandle(checked(id), { create: true })
        writing.set(id, (w = await file.createWritable({ keepExistingData: true })))
      }
      await w.write({ type: 'write', position: index * FILE_SEALED_CHUNK_BYTES, data: sealed as Uint8Array<ArrayBuffer> })
    },
    async flush(id) {
      const w = writing.get(id)
      writing.delete(id)
      await w?.close()
    },
    async read(id, index, count) {
      const file = await (await dir.getFileHandle(checked(id))).getFile()
      const from = index * FILE_SEALED_CHUNK_BYTES
      const bytes = new Uint8Array(await file.slice(from, from + count * FILE_SEALED_CHUNK_BYTES).arrayBuffer())
      if (bytes.length !== count * FILE_SEALED_CHUNK_BYTES) throw new Error(`spool ${id} lacks chunks ${index}…${index + count - 1}`)
      return bytes
    },
    async remove(id) {
      const w = writing.get(id)
      writing.delete(id)
      await w?.abort().catch(() => undefined)
      await removeEntry(dir, checked(id))
    },
    async list() {
      // Names read back from storage: only what the engine could have written counts.
      return (await fileNames(dir)).filter((n) => ID.test(n))
    },
  }
}
