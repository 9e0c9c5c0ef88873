import { mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { FILE_SEALED_CHUNK_BYTES } from '../../crypto/index.js'
import { wholeChunks, type Spool } from '../core/files/spool.js'
import { syncBehind } from './syncBehind.js'

const ID = /^[A-Za-z0-9_-]{1,40}\.[0-9]{1,3}$/
const RUN_CHUNKS = 16

/**
 * [A2] The CLI's spool: one file per queued file under `<home>/spool`, sealed chunk i at offset
 * i × 65,552. Reads and writes go through a file handle: memory holds what one call moves.
 */
export function nodeSpool(dir: string): Spool {
  const handles = new Map<string, FileHandle>()
  const syncs = new Map<FileHandle, ReturnType<typeof syncBehind>>()
  const durable = (h: FileHandle) => {
    let s = syncs.get(h)
    if (!s) syncs.set(h, (s = syncBehind(h)))
    return s
  }
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
  // Two run buffers: one fills while the other is written, so sealing waits for the disk only
  // when it falls a whole run behind. One write in flight at a time; every other operation
  // waits for it (`settled`), so a read never misses a chunk written before it.
  const buffers: Uint8Array[] = []
  let filling = 0
  let writing: Promise<void> = Promise.resolve()
  /** Entries whose write failed in the background: their next write, read or flush throws it. */
  const failed = new Map<string, unknown>()
  const settled = async (id?: string) => {
    await writing
    const err = id === undefined ? undefined : failed.get(id)
    if (err !== undefined) throw err
  }
  const drain = async () => {
    const r = run
    run = undefined
    if (!r || !r.count) return
    const h = await handle(r.id, true)
    const length = r.count * FILE_SEALED_CHUNK_BYTES
    await settled(r.id)
    writing = (async () => {
      let at = 0
      while (at < length) at += (await h.write(r.bytes, at, length - at, r.start * FILE_SEALED_CHUNK_BYTES + at)).bytesWritten
      await durable(h).wrote(length)
    })().catch((err: unknown) => void failed.set(r.id, err))
  }
  const close = async (id: string) => {
    const h = handles.get(id)
    handles.delete(id)
    if (h) syncs.delete(h)
    await h?.close().catch(() => undefined)
  }
  // One operation at a time: the run of pending chunks is shared by every entry. A caller's
  // buffer being written (`borrowed`) is given back by the next operation, which waits for it.
  let borrowed = false
  let turn: Promise<unknown> = Promise.resolve()
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = turn.then(async () => {
      if (borrowed) {
        borrowed = false
        await writing
      }
      return work()
    })
    turn = next.catch(() => undefined)
    return next
  }
  const spool: Spool = {
    async write(id, index, sealed) {
      const count = wholeChunks(sealed)
      if (failed.has(id)) throw failed.get(id)
      if (count > 1) {
        // A run of its own (sealing's steps): written from the caller's buffer, no copy; the
        // caller reuses it only after the next call, which waits for this write first.
        if (run) await drain()
        run = { id, start: index, count, bytes: sealed }
        await drain()
        borrowed = true
        return
      }
      // Consecutive chunks of one entry (sealing writes in order) go to disk in runs of 16: one call per MiB.
      if (run && (run.id !== id || run.start + run.count !== index)) await drain()
      if (!run) {
        // The other buffer's write is in flight (or done): this one is free.
        filling ^= 1
        run = { id, start: index, count: 0, bytes: (buffers[filling] ??= Buffer.allocUnsafe(RUN_CHUNKS * FILE_SEALED_CHUNK_BYTES)) }
      }
      run.bytes.set(sealed, run.count * FILE_SEALED_CHUNK_BYTES)
      if (++run.count === RUN_CHUNKS) await drain()
    },
    /** Durable, and the writing handle closed: an entry is written once (sealing), then only read. */
    async flush(id) {
      if (run?.id === id) await drain()
      await settled(id)
      await durable(await handle(id, true)).sync()
      await close(id)
    },
    async read(id, index, count, into) {
      if (run?.id === id) await drain()
      await settled(id)
      const h = await open(path(id), 'r')
      try {
        // Not zeroed first: it is read over whole, or refused.
        const length = count * FILE_SEALED_CHUNK_BYTES
        const out = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length)
        const { bytesRead } = await h.read(out, 0, out.length, index * FILE_SEALED_CHUNK_BYTES)
        if (bytesRead !== out.length) throw new Error(`spool ${id} lacks chunks ${index}…${index + count - 1}`)
        return out
      } finally {
        await h.close()
      }
    },
    async remove(id) {
      if (run?.id === id) run = undefined
      await settled()
      failed.delete(id)
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
    read: (id, index, count, into) => serial(() => spool.read(id, index, count, into)),
    remove: (id) => serial(() => spool.remove(id)),
    list: () => serial(() => spool.list()),
  }
}
