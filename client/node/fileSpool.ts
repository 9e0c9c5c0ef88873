import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { FILE_SEALED_CHUNK_BYTES } from '../../crypto/index.js'
import type { Spool } from '../core/files/spool.js'

const ID = /^[A-Za-z0-9_-]{1,40}\.[0-9]{1,3}$/

/**
 * [A2] The CLI's spool: one file per queued file under `<home>/spool`, sealed chunk i at offset
 * i × 65,552. Reads and writes go through a file handle: memory holds what one call moves.
 */
export function nodeSpool(dir: string): Spool {
  const handles = new Map<string, FileHandle>()
  const path = (id: string) => {
    if (!ID.test(id)) throw new Error('not a spool id')
    return join(dir, id)
  }
  const handle = async (id: string, create: boolean): Promise<FileHandle> => {
    const held = handles.get(id)
    if (held) return held
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // 'r+' writes at offsets without truncating; a new entry is created first.
    const h = await open(path(id), 'r+').catch(async (err: NodeJS.ErrnoException) => {
      if (!create || err.code !== 'ENOENT') throw err
      await (await open(path(id), 'wx', 0o600)).close()
      return open(path(id), 'r+')
    })
    handles.set(id, h)
    return h
  }
  const close = async (id: string) => {
    const h = handles.get(id)
    handles.delete(id)
    await h?.close().catch(() => undefined)
  }
  return {
    async write(id, index, sealed) {
      if (sealed.length !== FILE_SEALED_CHUNK_BYTES) throw new Error('a spool holds whole sealed chunks')
      const h = await handle(id, true)
      await h.write(sealed, 0, sealed.length, index * FILE_SEALED_CHUNK_BYTES)
    },
    /** Durable, and the writing handle closed: an entry is written once (sealing), then only read. */
    async flush(id) {
      await (await handle(id, true)).sync()
      await close(id)
    },
    async read(id, index, count) {
      const h = await open(path(id), 'r')
      try {
        const out = new Uint8Array(count * FILE_SEALED_CHUNK_BYTES)
        const { bytesRead } = await h.read(out, 0, out.length, index * FILE_SEALED_CHUNK_BYTES)
        if (bytesRead !== out.length) throw new Error(`spool ${id} lacks chunks ${index}…${index + count - 1}`)
        return out
      } finally {
        await h.close()
      }
    },
    async remove(id) {
      await close(id)
      await rm(path(id), { force: true })
    },
    async list() {
      try {
        return (await readdir(dir)).filter((n) => ID.test(n))
      } catch {
        return []
      }
    },
  }
}
