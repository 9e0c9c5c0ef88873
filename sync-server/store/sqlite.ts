import Database from 'better-sqlite3'
import { bytesEqual } from '../../crypto/verify.js'
import type { AppendItem, AppendResult, ChangeStore, StoredConv, StoredEnvelope } from './ChangeStore.js'
import type { RecoveryBlobStore } from './RecoveryBlobStore.js'
import { sqliteKeep } from './sqliteKeep.js'
import { sqliteMail } from './sqliteMail.js'
import { sqliteRecovery } from './sqliteRecovery.js'

/**
 * The embedded default store: one SQLite file in WAL mode. synchronous=NORMAL keeps every
 * committed transaction across a process crash (kill -9) because WAL frames are written before
 * commit returns; `durability: 'full'` also fsyncs each commit against power loss.
 */
const convOf = (row: { cap: Uint8Array; epoch: number; admin: Uint8Array | null }): StoredConv =>
  row.admin ? { capPublic: row.cap, epoch: row.epoch, admin: row.admin } : { capPublic: row.cap, epoch: row.epoch }

/**
 * The layout of the data this store keeps. Format 7: format 6 and the keep-until days and
 * tombstones of [S56] (sqliteKeep.ts); a format-6 file is upgraded in place by adding those
 * tables (its documents have no day: forever). Format 6: format 5 and a `ready` mark on mail bodies
 * (a large post becomes readable whole, [S11]); a format-5 file is upgraded in place by adding
 * that column (every body it holds is ready). Format 5: format 4 and the recovery blobs table
 * ([S18]); a format-4 file is upgraded in place by adding that table. Format 4: mail rows under
 * hashed destinations (a mailbox address's or a decoy's, crypto [K8]), bodies with their fanout.
 * Format 3: envelopes keyed by pseudonymous chain (crypto [E13]), mail by mailbox address ([K7])
 * with no sender and an expiry day: no device keys. (Format 2 lived only between two commits of
 * the same change.) A file written in any other format is refused at start (StoreFormatError),
 * never read as if it were this one.
 */
export const STORE_FORMAT = 7
/** Formats opened and brought to STORE_FORMAT: each one only lacks tables and columns added on open. */
const UPGRADABLE_FORMATS: readonly number[] = [4, 5, 6]

export class StoreFormatError extends Error {
  override name = 'StoreFormatError'
  constructor(readonly file: string, readonly found: number) {
    super(`S100_STORE_FORMAT: ${file} holds data in format ${found}; this server reads format ${STORE_FORMAT} (and upgrades format ${UPGRADABLE_FORMATS.join(', ')}). ` +
      'Its envelopes and mailboxes cannot be converted (they name device keys); start with an empty data directory.')
  }
}

function checkFormat(db: Database.Database, file: string): void {
  const hasTables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()!.n > 0
  // Format 1 files predate the format number (SQLite's user_version 0).
  const found = (db.pragma('user_version', { simple: true }) as number) || 1
  if (hasTables && found !== STORE_FORMAT && !UPGRADABLE_FORMATS.includes(found)) {
    db.close()
    throw new StoreFormatError(file, found)
  }
}

/** The SQLite change store and, in the same file, the recovery blobs ([S15]); `close` closes both. */
export interface SqliteStore extends ChangeStore {
  readonly recovery: RecoveryBlobStore
}

export function openSqliteStore(file: string, options: { durability?: 'normal' | 'full' } = {}): SqliteStore {
  const db = new Database(file)
  checkFormat(db, file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`)
  db.pragma('foreign_keys = ON')
  // Deleted rows (handled mail, pruned envelopes) are overwritten, not left in free pages where a
  // copy of the file would still show them.
  db.pragma('secure_delete = ON')
  db.exec(`
    CREATE TABLE IF NOT EXISTS convs (conv BLOB PRIMARY KEY, cap BLOB NOT NULL, epoch INTEGER NOT NULL, admin BLOB) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS docs (doc BLOB PRIMARY KEY, conv BLOB NOT NULL, last_sseq INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS heads (doc BLOB NOT NULL, chain BLOB NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,
      PRIMARY KEY (doc, chain)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS envelopes (doc BLOB NOT NULL, sseq INTEGER NOT NULL, chain BLOB NOT NULL, seq INTEGER NOT NULL,
      hash BLOB NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc, sseq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS envelopes_by_chain ON envelopes (doc, chain, seq);
    CREATE TABLE IF NOT EXISTS snapshots (doc BLOB NOT NULL, chain BLOB NOT NULL, seq INTEGER NOT NULL, covers_sseq INTEGER NOT NULL,
      hash BLOB NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc, chain)) WITHOUT ROWID;
  `)
  const mail = sqliteMail(db)
  const recovery = sqliteRecovery(db)
  const keeps = sqliteKeep(db)
  // Recorded once every table of this format exists (an upgraded format-4 file included).
  db.pragma(`user_version = ${STORE_FORMAT}`)
  const q = {
    getConv: db.prepare<[Uint8Array], { cap: Uint8Array; epoch: number; admin: Uint8Array | null }>('SELECT cap, epoch, admin FROM convs WHERE conv = ?'),
    insertConv: db.prepare('INSERT OR IGNORE INTO convs (conv, cap, epoch, admin) VALUES (?, ?, ?, ?)'),
    rekeyConv: db.prepare('UPDATE convs SET cap = ?, epoch = ?, admin = ? WHERE conv = ? AND epoch = ?'),
    getDoc: db.prepare<[Uint8Array], { conv: Uint8Array; last_sseq: number }>('SELECT conv, last_sseq FROM docs WHERE doc = ?'),
    insertDoc: db.prepare('INSERT INTO docs (doc, conv, last_sseq) VALUES (?, ?, 0)'),
    bumpDoc: db.prepare('UPDATE docs SET last_sseq = ? WHERE doc = ?'),
    existing: db.prepare<[Uint8Array, Uint8Array, number], { sseq: number; hash: Uint8Array }>(
      'SELECT sseq, hash FROM envelopes WHERE doc = ? AND chain = ? AND seq = ?',
    ),
    head: db.prepare<[Uint8Array, Uint8Array], { seq: number; hash: Uint8Array }>('SELECT seq, hash FROM heads WHERE doc = ? AND chain = ?'),
    setHead: db.prepare('INSERT INTO heads (doc, chain, seq, hash) VALUES (?, ?, ?, ?) ON CONFLICT (doc, chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash'),
    insert: db.prepare('INSERT INTO envelopes (doc, sseq, chain, seq, hash, bytes) VALUES (?, ?, ?, ?, ?, ?)'),
    getSnap: db.prepare<[Uint8Array, Uint8Array], { seq: number; covers_sseq: number; hash: Uint8Array }>(
      'SELECT seq, covers_sseq, hash FROM snapshots WHERE doc = ? AND chain = ?',
    ),
    putSnap: db.prepare(
      'INSERT INTO snapshots (doc, chain, seq, covers_sseq, hash, bytes) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (doc, chain) DO UPDATE SET seq = excluded.seq, covers_sseq = excluded.covers_sseq, hash = excluded.hash, bytes = excluded.bytes',
    ),
    prune: db.prepare('DELETE FROM envelopes WHERE doc = ? AND chain = ? AND seq <= ?'),
    snapsAfter: db.prepare<[Uint8Array, number], { bytes: Uint8Array }>('SELECT bytes FROM snapshots WHERE doc = ? AND covers_sseq > ? ORDER BY covers_sseq'),
    read: db.prepare<[Uint8Array, number, number], { sseq: number; bytes: Uint8Array }>(
      'SELECT sseq, bytes FROM envelopes WHERE doc = ? AND sseq > ? ORDER BY sseq LIMIT ?',
    ),
  }

  const appendOne = (item: AppendItem): AppendResult => {
    const doc = q.getDoc.get(item.doc)
    // Invariant 5: a document never moves to another conversation.
    if (doc && !bytesEqual(doc.conv, item.conv)) return { ok: false, reason: 'wrong-conv' }
    // Invariant 10: a dropped document has no row in docs, only its tombstone.
    const gone = doc ? undefined : keeps.droppedConv(item.doc)
    if (gone) return bytesEqual(gone, item.conv) ? { ok: false, reason: 'dropped' } : { ok: false, reason: 'wrong-conv' }
    if (item.kind === 2) return snapshotOne(item, doc !== undefined)
    // Invariant 6: an envelope a snapshot already replaced is a repeat.
    const snap = q.getSnap.get(item.doc, item.chain)
    if (snap && item.seq <= snap.seq) return { ok: true, sseq: snap.covers_sseq, duplicate: true }
    // Invariant 2: repeats are idempotent, a different envelope at the same place is refused.
    const existing = q.existing.get(item.doc, item.chain, item.seq)
    if (existing) return bytesEqual(existing.hash, item.hash) ? { ok: true, sseq: existing.sseq, duplicate: true } : { ok: false, reason: 'equivocation' }
    // Invariant 3: gap-free, hash-linked per chain.
    const head = q.head.get(item.doc, item.chain)
    const lastSeq = head?.seq ?? 0
    if (item.seq !== lastSeq + 1) return { ok: false, reason: 'seq-gap' }
    if (head ? !bytesEqual(head.hash, item.prev) : item.prev.some((b) => b !== 0)) return { ok: false, reason: 'chain-broken' }
    if (!doc) q.insertDoc.run(item.doc, item.conv)
    // Invariant 4: sseq strictly increasing per document.
    const sseq = (doc?.last_sseq ?? 0) + 1
    q.bumpDoc.run(sseq, item.doc)
    q.setHead.run(item.doc, item.chain, item.seq, item.hash)
    q.insert.run(item.doc, sseq, item.chain, item.seq, item.hash, item.bytes)
    // Invariant 9: only a newly stored envelope moves the keep-until day.
    keeps.stored(item.conv, item.doc, !doc, item.keep ?? 0)
    return { ok: true, sseq, duplicate: false }
  }
  const snapshotOne = (item: AppendItem, docKnown: boolean): AppendResult => {
    if (!docKnown) return { ok: false, reason: 'chain-broken' }
    const snap = q.getSnap.get(item.doc, item.chain)
    if (snap && snap.seq >= item.seq) return { ok: true, sseq: snap.covers_sseq, duplicate: true }
    // Invariant 6: the snapshot must end exactly at an envelope we hold.
    const head = q.existing.get(item.doc, item.chain, item.seq)
    if (!head || !bytesEqual(head.hash, item.prev)) return { ok: false, reason: 'chain-broken' }
    q.putSnap.run(item.doc, item.chain, item.seq, head.sseq, item.hash, item.bytes)
    q.prune.run(item.doc, item.chain, item.seq)
    return { ok: true, sseq: head.sseq, duplicate: true }
  }
  // Invariant 1: one transaction per push; better-sqlite3 commits before returning.
  const appendAll = db.transaction((items: readonly AppendItem[]) => items.map(appendOne))

  return {
    async getConv(conv) {
      const row = q.getConv.get(conv)
      return row ? convOf(row) : undefined
    },
    async registerConv(conv, capPublic, epoch, admin): Promise<StoredConv> {
      q.insertConv.run(conv, capPublic, epoch, admin ?? null)
      return convOf(q.getConv.get(conv)!)
    },
    async rekeyConv(conv, capPublic, epoch, admin, from) {
      return q.rekeyConv.run(capPublic, epoch, admin, conv, from).changes === 1
    },
    async append(items) {
      return appendAll(items)
    },
    async read(conv, doc, after, limit): Promise<StoredEnvelope[]> {
      const owner = q.getDoc.get(doc)
      if (!owner || !bytesEqual(owner.conv, conv)) return []
      return q.read.all(doc, after, limit)
    },
    async snapshots(conv, doc, after) {
      const owner = q.getDoc.get(doc)
      if (!owner || !bytesEqual(owner.conv, conv)) return []
      return q.snapsAfter.all(doc, after).map((r) => r.bytes)
    },
    ...mail,
    dropExpired: (today) => keeps.dropExpired(today),
    recovery,
    async checkWritable() {
      // [S7] A real commit that changes nothing: the format number, written again as it is, goes
      // through the WAL like any append (one 4 KiB frame; 0.07 ms, or 0.9 ms with durability
      // full's fsync, measured 2026-12-05). A lock held elsewhere fails the check after a short
      // wait instead of holding the event loop for the whole busy timeout.
      if (!db.open) throw new Error('store closed')
      const wait = db.pragma('busy_timeout', { simple: true }) as number
      db.pragma('busy_timeout = 200')
      try {
        db.pragma(`user_version = ${STORE_FORMAT}`)
      } finally {
        db.pragma(`busy_timeout = ${wait}`)
      }
    },
    async close() {
      db.close()
    },
  }
}
