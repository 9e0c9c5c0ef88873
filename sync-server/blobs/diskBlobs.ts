import { constants } from 'node:fs'
import { mkdir, open, readdir, statfs, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdBytes, blobIdOf } from '../../protocol/index.js'
import { blobDay, nextChunk, type AppendOutcome, type BlobStore } from './BlobStore.js'
import { openBlobIndex, type BlobIndex } from './diskIndex.js'
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

export async function openDiskBlobStore(dataDir: string): Promise<BlobStore> {
  const root = join(dataDir, 'blobs')
  await mkdir(root, { recursive: true })
  const index = openBlobIndex(join(dataDir, 'blobs.sqlite'))
  const turns = new KeyedMutex()
  const dirOf = (hex: string) => join(root, hex.slice(0, 2))
  const fileOf = (hex: string) => join(dirOf(hex), hex)

  /** Invariant 5: the row was marked (no longer served or counted); the bytes go, then the row. */
  const finishDelete = async (id: Uint8Array) => {
    await unlink(fileOf(toHex(id))).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    index.remove(id)
  }
  await recover(index, root, finishDelete)

  const append = async (id: Uint8Array, start: number, chunks: AsyncIterable<Uint8Array>, now: number): Promise<AppendOutcome> => {
    const row = index.get(id)
    if (!row || row.deleting) return { kind: 'missing' }
    // Invariant 2: only from the stored prefix on; nothing of the input is read otherwise.
    if (start > row.stored) return { kind: 'out-of-order', stored: row.stored }
    const hex = toHex(id)
    const input = chunks[Symbol.asyncIterator]()
    let file: { handle: FileHandle; created: boolean } | undefined
    let stored = row.stored
    let failed: unknown
    try {
      for (let i = start; i < row.chunks; i++) {
        const chunk = await nextChunk(input)
        if (!chunk) break
        if (i < stored) continue // a retry's overlap: already durable, never rewritten
        try {
          file ??= await openForWrite(dirOf(hex), fileOf(hex))
          await file.handle.write(chunk, 0, BLOB_CHUNK_BYTES, i * BLOB_CHUNK_BYTES)
        } catch (err) {
          // Invariant 3: the chunks before a failed write are still made durable and counted.
          failed = err
          break
        }
        stored++
      }
      await input.return?.()
      if (file && stored > row.stored) {
        // Invariant 3: the bytes are on disk before the row says they are stored.
        try {
          await file.handle.datasync()
          if (file.created || row.stored === 0) await syncDir(dirOf(hex))
        } catch (err) {
          if (!isFull(err)) throw err
          return { kind: 'full', stored: row.stored }
        }
        index.setStored(id, stored, blobDay(now))
      }
    } finally {
      await file?.handle.close()
    }
    if (failed === undefined) return { kind: 'appended', stored }
    if (isFull(failed)) return { kind: 'full', stored }
    throw failed
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
    append(id, start, chunks, now) {
      return turns.run(id, () => append(blobIdBytes(id), start, chunks, now))
    },
    async read(id, start, end) {
      const bytes = blobIdBytes(id)
      const row = index.get(bytes)
      if (!row || row.deleting || row.stored < row.chunks) return undefined
      // Opened now: a delete that comes while the stream is read unlinks the name, not this file.
      const handle = await open(fileOf(toHex(bytes)), 'r').catch(() => undefined)
      // 16 chunks per read (1 MiB): memory per download stays bounded, syscalls per GiB drop 16-fold.
      return handle?.createReadStream({ start, end: end - 1, highWaterMark: 16 * BLOB_CHUNK_BYTES })
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
        if (turns.busy(key)) continue
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
