import Database from 'better-sqlite3'
import { bytesEqual } from '../../crypto/verify.js'
import { StoreFormatError } from '../store/sqlite.js'
import { blobBytes, capacityRefusal, type BlobCapacity, type BlobRecord, type BlobUsage, type CreateOutcome, type NewBlob } from './BlobStore.js'

/**
 * [B10] The disk store's metadata: `<dataDir>/blobs.sqlite`, one table and nothing else
 * (BlobStore invariant 7). WITHOUT ROWID keyed by the random blob id, so rows lie in id order,
 * not in order of arrival. synchronous=FULL: a commit is on disk before it returns, so the answer
 * to an upload follows durable metadata (invariant 3); secure_delete overwrites deleted rows.
 * Format 1 is this layout; a file of another format is refused at start (S100), never read.
 */
export const BLOB_INDEX_FORMAT = 1

const TABLE = `
  CREATE TABLE IF NOT EXISTS blobs (id BLOB PRIMARY KEY, conv BLOB NOT NULL, space BLOB NOT NULL, chunks INTEGER NOT NULL,
    stored INTEGER NOT NULL, day INTEGER NOT NULL, deleting INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS blobs_by_space ON blobs (space);
`

export interface BlobRow extends BlobRecord {
  readonly id: Uint8Array
  readonly day: number
  readonly deleting: number
}

export class BlobIndexFormatError extends StoreFormatError {
  constructor(file: string, found: number) {
    super(file, found)
    this.message = `S100_STORE_FORMAT: ${file} holds blob metadata in format ${found}; this server reads blob index format ${BLOB_INDEX_FORMAT}. ` +
      'Move it and the blobs folder beside it away to start with an empty blob store.'
  }
}

export type BlobIndex = ReturnType<typeof openBlobIndex>

export function openBlobIndex(file: string) {
  const db = new Database(file)
  const hasTables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()!.n > 0
  const found = db.pragma('user_version', { simple: true }) as number
  if (hasTables && found !== BLOB_INDEX_FORMAT) {
    db.close()
    throw new BlobIndexFormatError(file, found)
  }
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('secure_delete = ON')
  db.exec(TABLE)
  db.pragma(`user_version = ${BLOB_INDEX_FORMAT}`)
  const q = {
    get: db.prepare<[Uint8Array], BlobRow>('SELECT id, conv, space, chunks, stored, day, deleting FROM blobs WHERE id = ?'),
    insert: db.prepare('INSERT INTO blobs (id, conv, space, chunks, stored, day) VALUES (?, ?, ?, ?, 0, ?)'),
    stored: db.prepare('UPDATE blobs SET stored = ?, day = ? WHERE id = ? AND deleting = 0'),
    mark: db.prepare('UPDATE blobs SET deleting = 1 WHERE id = ? AND deleting = 0'),
    remove: db.prepare('DELETE FROM blobs WHERE id = ? AND deleting = 1'),
    usage: db.prepare<[], { chunks: number; missing: number }>('SELECT coalesce(sum(chunks), 0) AS chunks, coalesce(sum(chunks - stored), 0) AS missing FROM blobs WHERE deleting = 0'),
    spaceUsage: db.prepare<[Uint8Array], { chunks: number; missing: number }>(
      'SELECT coalesce(sum(chunks), 0) AS chunks, coalesce(sum(chunks - stored), 0) AS missing FROM blobs WHERE space = ? AND deleting = 0',
    ),
    stale: db.prepare<[number], { id: Uint8Array }>('SELECT id FROM blobs WHERE stored < chunks AND day <= ? AND deleting = 0'),
    deleting: db.prepare<[], { id: Uint8Array }>('SELECT id FROM blobs WHERE deleting = 1'),
    ids: db.prepare<[], { id: Uint8Array }>('SELECT id FROM blobs'),
  }
  const usage = (space?: Uint8Array): BlobUsage => {
    const row = space ? q.spaceUsage.get(space)! : q.usage.get()!
    return { bytes: blobBytes(row.chunks), pending: blobBytes(row.missing) }
  }
  // Invariants 1 and 4: the checks and the insert in one transaction, committed before it returns.
  const create = db.transaction((id: Uint8Array, blob: NewBlob, capacity: BlobCapacity, free: number | undefined, day: number): CreateOutcome => {
    const found = q.get.get(id)
    if (found) {
      const same = !found.deleting && bytesEqual(found.conv, blob.conv) && found.chunks === blob.chunks
      return same ? { kind: 'exists', blob: found } : { kind: 'conflict' }
    }
    const refusal = capacityRefusal(blob.chunks, usage(blob.space), usage(), free, capacity)
    if (refusal) return { kind: refusal }
    q.insert.run(id, blob.conv, blob.space, blob.chunks, day)
    return { kind: 'created', blob: { conv: blob.conv, space: blob.space, chunks: blob.chunks, stored: 0 } }
  })

  return {
    get: (id: Uint8Array): BlobRow | undefined => q.get.get(id),
    create,
    setStored: (id: Uint8Array, stored: number, day: number): boolean => q.stored.run(stored, day, id).changes === 1,
    /** Invariant 5, first step: from this commit on the blob is neither served nor counted. */
    markDeleting: (id: Uint8Array): boolean => q.mark.run(id).changes === 1,
    /** The last step, once its bytes are gone. */
    remove: (id: Uint8Array): void => void q.remove.run(id),
    usage,
    stale: (lastDay: number): Uint8Array[] => q.stale.all(lastDay).map((r) => r.id),
    deleting: (): Uint8Array[] => q.deleting.all().map((r) => r.id),
    ids: (): Uint8Array[] => q.ids.all().map((r) => r.id),
    close: () => db.close(),
  }
}
