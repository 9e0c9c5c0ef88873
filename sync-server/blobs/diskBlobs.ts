import { constants } from 'node:fs'
import { mkdir, open, readdir, statfs, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdBytes, blobIdOf } from '../../protocol/index.js'
import { blobDay, nextChunk, type AppendOutcome, type BlobStore } from './BlobStore.js'
import { openBlobIndex, type BlobIndex } from './diskIndex.js'
import { fileRange } from './fileRange.js'
import { KeyedMutex } from './mutex.js'

/**
 * [B10] The default blob store: chunk bytes in one file per blob, `<dataDir>/blobs/<2 hex>/<32
 * hex>` (the id in hex: one spelling on every file system, case-insensitive ones included),
 * chunk i at offset i × BLOB_CHUNK_BYTES; metadata in `<dataDir>/blobs.sqlite` (diskIndex.ts).
 * The file is made by the first append, so a blob's row always exists before its file.
 */
const FILE = /^[0-9a-f]{32}$/
const DIR = /^[0-9a-f]{2}$/
/** Errors that mean the disk (or the user's quota on it) is full: answered B507, never B500. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT'])
const isFull = (err: unknown) => DISK_FULL.has((err as { code?: string }).code ?? '')
/** Why the commits of a blob deleted meanwhile count nothing: the append answers `missing`. */
const DELETED = new Error('the blob was deleted')
/** Chunks written with one call at most (a slab of the body: 1 MiB). */
const RUN_CHUNKS = 16

/** How the store makes a file's bytes durable; tests put a failing or a held one in. */
export interface DiskSync {
  datasync(handle: FileHandle): Promise<void>
}
const realSync: DiskSync = { datasync: (handle) => handle.datasync() }

export async function openDiskBlobStore(dataDir: string, disk: DiskSync = realSync): Promise<BlobStore> {
  const root = join(dataDir, 'blobs')
  await mkdir(root, { recursive: true })
  const index = openBlobIndex(join(dataDir, 'blobs.sqlite'))
  const turns = new KeyedMutex()
  const dirOf = (hex: string) => join(root, hex.slice(0, 2))
  const fileOf = (hex: string) => join(dirOf(hex), hex)

  /**
   * Invariants 3 and 6: appends of one blob write in turns (`turns`), and each is made durable
   * after its turn, so the next one writes while this one is synced. Their commits keep their
   * order (one counts only after those before it). When one fails, every later one fails too
   * (after a failed fsync the page cache no longer tells what reached the disk), and writing
   * starts again from the durable count once they have all settled.
   */
  const pending = new Map<string, Pending>()
  const poison = (hex: string, err: unknown) => {
    const p = pending.get(hex)
    if (p && p.failed === undefined) p.failed = err
  }

  /** Invariant 5: the row was marked (no longer served or counted); the bytes go, then the row. */
  const finishDelete = async (id: Uint8Array) => {
    // Appends of it still being committed count nothing more, and none writes on from theirs.
    poison(toHex(id), DELETED)
    await unlink(fileOf(toHex(id))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    index.remove(id)
  }
  await recover(index, root, finishDelete)

  /** The write half of an append, in the blob's turn; its commit is queued before the turn ends. */
  const write = async (id: Uint8Array, start: number, chunks: AsyncIterable<Uint8Array>, now: number): Promise<AppendOutcome | { kind: 'committing'; outcome: Promise<AppendOutcome> }> => {
    const hex = toHex(id)
    // A failed commit: the appends after it settle first (they fail too); then from the durable count.
    for (let p = pending.get(hex); p?.failed !== undefined; p = pending.get(hex)) await p.idle
    const row = index.get(id)
    if (!row || row.deleting) return { kind: 'missing' }
    const entry = pending.get(hex) ?? newPending(row.stored)
    pending.set(hex, entry)
    entry.open++
    const settle = () => {
      if (--entry.open > 0) return
      if (pending.get(hex) === entry) pending.delete(hex)
      entry.done()
    }
    // Invariant 2: only from the written prefix on; nothing of the input is read otherwise.
    const from = entry.written
    if (start > from) {
      settle()
      return { kind: 'out-of-order', stored: row.stored }
    }
    const input = chunks[Symbol.asyncIterator]()
    let file: { handle: FileHandle; created: boolean } | undefined
    let stored = from
    let failed: unknown
    // Neighbouring chunks of one slab of the body (body.ts) are written with one call: a run.
    // While one run is written the next one is read from the socket (at most one write in
    // flight: the body keeps three slabs, so a run's bytes outlive the reading of the next).
    let run: { bytes: Uint8Array; first: number; count: number } | undefined
    let writing: Promise<void> | undefined
    const writeRun = async (r: { bytes: Uint8Array; first: number; count: number }) => {
      file ??= await openForWrite(dirOf(hex), fileOf(hex))
      let at = 0
      while (at < r.bytes.length) at += (await file.handle.write(r.bytes, at, r.bytes.length - at, r.first * BLOB_CHUNK_BYTES + at)).bytesWritten
      stored = r.first + r.count
      entry.written = stored
    }
    /** Waits for the run in flight; its failure is thrown here. */
    const written = async () => {
      const w = writing
      writing = undefined
      await w
    }
    try {
      for (let i = start; i < row.chunks; i++) {
        const chunk = await nextChunk(input)
        if (!chunk) break
        if (i < from) continue // a retry's overlap: already written, never rewritten
        if (run && run.count < RUN_CHUNKS && run.bytes.buffer === chunk.buffer && run.bytes.byteOffset + run.bytes.length === chunk.byteOffset) {
          run = { bytes: new Uint8Array(chunk.buffer, run.bytes.byteOffset, run.bytes.length + chunk.length), first: run.first, count: run.count + 1 }
          continue
        }
        try {
          await written()
        } catch (err) {
          // Invariant 3: the runs before a failed write are still made durable and counted.
          failed = err
          break
        }
        if (run) (writing = writeRun(run)).catch(() => undefined)
        run = { bytes: chunk, first: i, count: 1 }
      }
      try {
        await written()
        if (failed === undefined && run) await writeRun(run)
      } catch (err) {
        failed ??= err
      }
      await input.return?.()
    } catch (err) {
      await writing?.catch(() => undefined)
      await file?.handle.close()
      settle()
      throw err
    }
    const f = file
    const created = !!f?.created || from === 0
    // Invariant 3: the bytes are on disk before the row says they are stored.
    const commit = entry.chain.then(async () => {
      if (entry.failed !== undefined) throw entry.failed
      if (!f || stored === from) return
      await disk.datasync(f.handle)
      if (created) await syncDir(dirOf(hex))
      // Deleted while it was synced: nothing to count.
      if (entry.failed !== undefined) throw entry.failed
      index.setStored(id, stored, blobDay(now))
    })
    entry.chain = commit.catch((err: unknown) => poison(hex, err))
    const outcome = (async (): Promise<AppendOutcome> => {
      try {
        await commit
      } catch (err) {
        if (err === DELETED) return { kind: 'missing' }
        if (!isFull(err)) throw err
        return { kind: 'full', stored: index.get(id)?.stored ?? 0 }
      } finally {
        await f?.handle.close()
        settle()
      }
      // Nothing new written: what the appends before it made durable.
      const counted = stored === from ? (index.get(id)?.stored ?? stored) : stored
      if (failed === undefined) return { kind: 'appended', stored: counted }
      if (isFull(failed)) return { kind: 'full', stored: counted }
      throw failed
    })()
    // Wrapped: an async function would wait for a promise it returns, in the turn.
    return { kind: 'committing', outcome }
  }

  return {
    async create(id, blob, capacity, now) {
      const s = await statfs(root)
      return index.create(blobIdBytes(id), blob, capacity, s.bavail * s.bsize, blobDay(now))
    },
    async get(id) {
      const row = index.get(blobIdBytes(id))
      return row && !row.deleting ? { conv: row.conv, space: row.space, chunks: row.chunks, stored: row.stored } : undefined
    },
    async append(id, start, chunks, now) {
      // The turn ends once the chunks are written; their commit is awaited after it.
      const written = await turns.run(id, () => write(blobIdBytes(id), start, chunks, now))
      return written.kind === 'committing' ? written.outcome : written
    },
    async read(id, start, end) {
      const bytes = blobIdBytes(id)
      const row = index.get(bytes)
      if (!row || row.deleting || row.stored < row.chunks) return undefined
      // Opened now: a delete that comes while the stream is read unlinks the name, not this file.
      const handle = await open(fileOf(toHex(bytes)), 'r').catch(() => undefined)
      // 16 chunks per read (1 MiB): memory per download stays bounded, syscalls per GiB drop 16-fold.
      return handle && fileRange(handle, start, end, RUN_CHUNKS * BLOB_CHUNK_BYTES)
    },
    delete(id) {
      const bytes = blobIdBytes(id)
      return turns.run(id, async () => {
        if (!index.markDeleting(bytes)) return false
        await finishDelete(bytes)
        return true
      })
    },
    async usage(space) {
      return index.usage(space)
    },
    async sweep(now, incompleteDays) {
      let gone = 0
      for (const id of index.stale(blobDay(now) - incompleteDays)) {
        const key = blobIdOf(id)
        if (turns.busy(key) || pending.has(toHex(id))) continue
        await turns.run(key, async () => {
          if (!index.markDeleting(id)) return
          await finishDelete(id)
          gone++
        })
      }
      // A delete whose unlink failed earlier is finished here.
      for (const id of index.deleting()) await finishDelete(id)
      return gone
    },
    async close() {
      index.close()
    },
  }
}

/** Appends of one blob written and not yet all committed (see `write`). */
interface Pending {
  /** Chunks written: the durable count, plus what the appends in flight wrote. */
  written: number
  /** The last commit queued (settled, never rejected). */
  chain: Promise<void>
  /** Why a commit failed: later ones fail with it. */
  failed: unknown
  /** Appends holding this entry. */
  open: number
  /** Settles when the last of them lets go. */
  idle: Promise<void>
  done: () => void
}

function newPending(written: number): Pending {
  let done!: () => void
  const idle = new Promise<void>((r) => (done = r))
  return { written, chain: Promise.resolve(), failed: undefined, open: 0, idle, done }
}

/** Opens the blob's file for positional writes, making it (and its folder) when missing. */
async function openForWrite(dir: string, file: string): Promise<{ handle: FileHandle; created: boolean }> {
  const madeDir = await mkdir(dir, { recursive: true })
  if (madeDir) await syncDir(join(dir, '..'))
  try {
    return { handle: await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600), created: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { handle: await open(file, constants.O_WRONLY), created: false }
  }
}

/** A new directory entry is durable only once its directory is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Invariant 5 at open: deletions a crash cut short are finished (rows marked deleting: their
 * file, then the row), and files no row names — bytes of a blob whose row is gone — are removed.
 * Names that are not ours are left alone.
 */
async function recover(index: BlobIndex, root: string, finishDelete: (id: Uint8Array) => Promise<void>): Promise<void> {
  for (const id of index.deleting()) await finishDelete(id)
  const known = new Set(index.ids().map(toHex))
  for (const dir of await readdir(root)) {
    if (!DIR.test(dir)) continue
    for (const name of await readdir(join(root, dir)).catch(() => [] as string[])) {
      if (FILE.test(name) && name.startsWith(dir) && !known.has(name)) await unlink(join(root, dir, name))
    }
  }
}
