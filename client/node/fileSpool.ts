import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { FILE_SEALED_CHUNK_BYTES } from '../../crypto/index.js'
import type { Spool } from '../core/files/spool.js'

const ID = /^[A-Za-z0-9_-]{1,40}\.[0-9]{1,3}$/
const RUN_CHUNKS = 16

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
  let run: { id: string; start: number; count: number; bytes: Uint8Array } | undefined
  const drain = async () => {
    const r = run
    run = undefined
    if (!r || !r.count) return
    const h = await handle(r.id, true)
    const length = r.count * FILE_SEALED_CHUNK_BYTES
    let at = 0
    while (at < length) at += (await h.write(r.bytes, at, length - at, r.start * FILE_SEALED_CHUNK_BYTES + at)).bytesWritten
  }
  const close = async (id: string) => {
    const h = handles.get(id)
    handles.delete(id)
    await h?.close().catch(() => undefined)
  }
  // One operation at a time: the run of pending chunks is shared by every entry.
  let turn: Promise<unknown> = Promise.resolve()
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = turn.then(work)
    turn = next.catch(() => undefined)
    return next
  }
  const spool: Spool = {
    async write(id, index, sealed) {
      if (sealed.length !== FILE_SEALED_CHUNK_BYTES) throw new Error('a spool holds whole sealed chunks')
      // Consecutive chunks of one entry (sealing writes in order) go to disk in runs of 16: one call per MiB.
      if (run && (run.id !== id || run.start + run.count !== index)) await drain()
      run ??= { id, start: index, count: 0, bytes: new Uint8Array(RUN_CHUNKS * FILE_SEALED_CHUNK_BYTES) }
      run.bytes.set(sealed, run.count * FILE_SEALED_CHUNK_BYTES)
      if (++run.count === RUN_CHUNKS) await drain()
    },
    /** Durable, and the writing handle closed: an entry is written once (sealing), then only read. */
    async flush(id) {
      if (run?.id === id) await drain()
      await (await handle(id, true)).sync()
      await close(id)
    },
    async read(id, index, count) {
      if (run?.id === id) await drain()
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
      if (run?.id === id) run = undefined
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
  return {
    write: (id, index, sealed) => serial(() => spool.write(id, index, sealed)),
    flush: (id) => serial(() => spool.flush(id)),
    read: (id, index, count) => serial(() => spool.read(id, index, count)),
    remove: (id) => serial(() => spool.remove(id)),
    list: () => serial(() => spool.list()),
  }
}
