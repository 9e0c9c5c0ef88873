import Database from 'better-sqlite3'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes, toHex } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdBytes, type BlobId } from '../../protocol/index.js'
import { blobBytes } from '../../sync-server/blobs/BlobStore.js'
import { openDiskBlobStore } from '../../sync-server/blobs/diskBlobs.js'
import { StoreFormatError } from '../../sync-server/store/sqlite.js'
import { blobStoreContract, body, drain, newBlobId, roomy, same, sealedChunks, T0 } from './blobStore.contract.js'

const root = mkdtempSync(join(tmpdir(), 'fieldchat-blobs-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const freshDir = () => join(root, `data-${n++}`)

blobStoreContract('disk', async () => {
  const store = await openDiskBlobStore(freshDir())
  return { store, close: () => store.close() }
})

describe('[B10] the disk blob store: files under <dataDir>/blobs, metadata in blobs.sqlite', () => {
  const alice = randomBytes(16)
  const fileOf = (dir: string, id: BlobId) => {
    const hex = toHex(blobIdBytes(id))
    return join(dir, 'blobs', hex.slice(0, 2), hex)
  }

  test('[B10] chunk i lies at offset i × 65,552 of the blob\'s one file; blobs and their counts survive close and reopen', async () => {
    const dir = freshDir()
    const first = await openDiskBlobStore(dir)
    const id = newBlobId()
    const chunks = sealedChunks(4)
    await first.create(id, { conv: alice, space: alice, chunks: 4 }, roomy, T0)
    await first.append(id, 0, body(chunks.slice(0, 3)), T0)
    await first.close()
    expect(statSync(fileOf(dir, id)).size).toBe(3 * BLOB_CHUNK_BYTES)

    const second = await openDiskBlobStore(dir)
    expect((await second.get(id))?.stored).toBe(3)
    await second.append(id, 3, body(chunks.slice(3)), T0)
    expect(same(await drain(await second.read(id, 0, blobBytes(4))), Buffer.concat(chunks))).toBe(true)
    await second.close()
  })

  test('[B8] invariant 5: a delete cut short by a crash (row marked deleting, file still there) and a file no row names are both finished when the store opens; foreign names are left alone', async () => {
    const dir = freshDir()
    const store = await openDiskBlobStore(dir)
    const [kept, halfDeleted] = [newBlobId(), newBlobId()]
    for (const id of [kept, halfDeleted]) {
      await store.create(id, { conv: alice, space: alice, chunks: 2 }, roomy, T0)
      await store.append(id, 0, body(sealedChunks(2)), T0)
    }
    await store.close()
    // The crash: the delete's first commit happened, its unlink did not.
    const db = new Database(join(dir, 'blobs.sqlite'))
    db.prepare('UPDATE blobs SET deleting = 1 WHERE id = ?').run(blobIdBytes(halfDeleted))
    db.close()
    // And a file whose row is gone (bytes of a blob the index no longer knows).
    const stray = toHex(randomBytes(16))
    mkdirSync(join(dir, 'blobs', stray.slice(0, 2)), { recursive: true })
    writeFileSync(join(dir, 'blobs', stray.slice(0, 2), stray), randomBytes(BLOB_CHUNK_BYTES))
    writeFileSync(join(dir, 'blobs', stray.slice(0, 2), 'operator-notes.txt'), 'not ours')
    expect(existsSync(fileOf(dir, halfDeleted))).toBe(true)

    const reopened = await openDiskBlobStore(dir)
    expect(existsSync(fileOf(dir, halfDeleted))).toBe(false)
    expect(existsSync(join(dir, 'blobs', stray.slice(0, 2), stray))).toBe(false)
    expect(existsSync(join(dir, 'blobs', stray.slice(0, 2), 'operator-notes.txt'))).toBe(true)
    expect(await reopened.get(halfDeleted)).toBeUndefined()
    expect((await reopened.get(kept))?.stored).toBe(2)
    const index = new Database(join(dir, 'blobs.sqlite'), { readonly: true })
    expect(index.prepare<[], { n: number }>('SELECT count(*) AS n FROM blobs').get()!.n).toBe(1)
    index.close()
    await reopened.close()
  })

  test('[B5] invariant 3: a write the disk refuses (a real ENOSPC, from /dev/full) is `full`; the chunks before it stay stored, and the upload resumes once there is room', async () => {
    const dir = freshDir()
    const store = await openDiskBlobStore(dir)
    const id = newBlobId()
    const chunks = sealedChunks(5)
    await store.create(id, { conv: alice, space: alice, chunks: 5 }, roomy, T0)
    await store.append(id, 0, body(chunks.slice(0, 2)), T0)
    const file = fileOf(dir, id)
    renameSync(file, `${file}.aside`)
    symlinkSync('/dev/full', file)
    expect(await store.append(id, 2, body(chunks.slice(2)), T0)).toEqual({ kind: 'full', stored: 2 })
    expect((await store.get(id))?.stored).toBe(2)
    unlinkSync(file)
    renameSync(`${file}.aside`, file)
    expect(await store.append(id, 2, body(chunks.slice(2)), T0)).toEqual({ kind: 'appended', stored: 5 })
    expect(same(await drain(await store.read(id, 0, blobBytes(5))), Buffer.concat(chunks))).toBe(true)
    await store.close()
  })

  /** A datasync that waits until `release` is called, then succeeds or fails with `fail`. */
  const heldSync = () => {
    const waiting: { go: () => void }[] = []
    let fail: NodeJS.ErrnoException | undefined
    let open = false
    return {
      disk: {
        datasync: async (h: import('node:fs/promises').FileHandle) => {
          if (!open) await new Promise<void>((go) => waiting.push({ go }))
          if (fail) throw fail
          await h.datasync()
        },
      },
      held: () => waiting.length,
      release(err?: NodeJS.ErrnoException) {
        fail = err
        for (const w of waiting.splice(0)) w.go()
      },
      /** Releases what waits and every later sync: a sync asked for after a check of held() is not missed. */
      open() {
        open = true
        for (const w of waiting.splice(0)) w.go()
      },
    }
  }
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2))
    expect(cond()).toBe(true)
  }
  async function* tracked(chunks: readonly Uint8Array[], read: { all: boolean }) {
    for (const [i, chunk] of chunks.entries()) {
      read.all = i === chunks.length - 1
      yield chunk
    }
  }

  test('[B5] invariants 3 and 6: the next append writes while the one before is made durable; it counts only after it, in order', async () => {
    const sync = heldSync()
    const store = await openDiskBlobStore(freshDir(), sync.disk)
    const id = newBlobId()
    const chunks = sealedChunks(8)
    await store.create(id, { conv: alice, space: alice, chunks: 8 }, roomy, T0)
    const settled: string[] = []
    const first = store.append(id, 0, body(chunks.slice(0, 4)), T0).then((o) => (settled.push('first'), o))
    await until(() => sync.held() === 1)
    // The first is being synced: the second starts at what it wrote and is read whole meanwhile.
    const read = { all: false }
    const second = store.append(id, 4, tracked(chunks.slice(4), read), T0).then((o) => (settled.push('second'), o))
    await until(() => read.all)
    expect(settled).toEqual([])
    expect((await store.get(id))?.stored).toBe(0)
    // Beyond what was written is still out of order, and says what is durable.
    expect(await store.append(id, 9, body(chunks.slice(0, 1)), T0)).toEqual({ kind: 'out-of-order', stored: 0 })
    sync.open()
    expect(await first).toEqual({ kind: 'appended', stored: 4 })
    expect(await second).toEqual({ kind: 'appended', stored: 8 })
    expect(settled).toEqual(['first', 'second'])
    expect(same(await drain(await store.read(id, 0, blobBytes(8))), Buffer.concat(chunks))).toBe(true)
    await store.close()
  })

  test('[B5] invariant 3: when a sync fails, the appends written after it fail too and count nothing; the upload goes on from the durable count', async () => {
    const sync = heldSync()
    const store = await openDiskBlobStore(freshDir(), sync.disk)
    const id = newBlobId()
    const chunks = sealedChunks(6)
    await store.create(id, { conv: alice, space: alice, chunks: 6 }, roomy, T0)
    const first = store.append(id, 0, body(chunks.slice(0, 3)), T0)
    await until(() => sync.held() === 1)
    const read = { all: false }
    const second = store.append(id, 3, tracked(chunks.slice(3), read), T0)
    await until(() => read.all)
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
    sync.release(eio)
    await expect(first).rejects.toThrow('EIO')
    await expect(second).rejects.toThrow('EIO')
    expect((await store.get(id))?.stored).toBe(0)
    // Every chunk is written again from the durable count: none is taken as already there.
    const full = Object.assign(new Error('ENOSPC: no space left on device, fdatasync'), { code: 'ENOSPC' })
    const again = store.append(id, 0, body(chunks.slice(0, 3)), T0)
    await until(() => sync.held() === 1)
    sync.release(full)
    expect(await again).toEqual({ kind: 'full', stored: 0 })
    const last = store.append(id, 0, body(chunks), T0)
    await until(() => sync.held() === 1)
    sync.release()
    expect(await last).toEqual({ kind: 'appended', stored: 6 })
    expect(same(await drain(await store.read(id, 0, blobBytes(6))), Buffer.concat(chunks))).toBe(true)
    await store.close()
  })

  test('[B8] a delete while an append is being made durable: the append answers missing and counts nothing', async () => {
    const sync = heldSync()
    const store = await openDiskBlobStore(freshDir(), sync.disk)
    const id = newBlobId()
    await store.create(id, { conv: alice, space: alice, chunks: 2 }, roomy, T0)
    const append = store.append(id, 0, body(sealedChunks(2)), T0)
    await until(() => sync.held() === 1)
    expect(await store.delete(id)).toBe(true)
    sync.release()
    expect(await append).toEqual({ kind: 'missing' })
    expect(await store.get(id)).toBeUndefined()
    expect((await store.usage()).bytes).toBe(0)
    await store.close()
  })

  test('[B4] invariant 4: a create that would leave less free disk (statfs) than the reserve, counting what created blobs still lack, is full', async () => {
    const dir = freshDir()
    const store = await openDiskBlobStore(dir)
    const s = await statfs(join(dir, 'blobs'))
    const available = s.bavail * s.bsize
    const reserve = { ...roomy, diskReserveBytes: available - blobBytes(40) }
    expect((await store.create(newBlobId(), { conv: alice, space: alice, chunks: 32 }, reserve, T0)).kind).toBe('created')
    // 32 chunks are created and not written: another 16 would go below the reserve.
    expect(await store.create(newBlobId(), { conv: alice, space: alice, chunks: 16 }, reserve, T0)).toEqual({ kind: 'full' })
    expect(await store.create(newBlobId(), { conv: alice, space: alice, chunks: 16 }, { ...roomy, diskReserveBytes: available * 2 }, T0)).toEqual({ kind: 'full' })
    await store.close()
  })

  test('[B10] a blobs.sqlite of another format is refused at open (S100), never read', async () => {
    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    const db = new Database(join(dir, 'blobs.sqlite'))
    db.exec('CREATE TABLE blobs (id BLOB PRIMARY KEY, other TEXT)')
    db.pragma('user_version = 7')
    db.close()
    await expect(openDiskBlobStore(dir)).rejects.toBeInstanceOf(StoreFormatError)
    expect(readdirSync(dir).sort()).toEqual(['blobs', 'blobs.sqlite'])
  })
})
