import Database from 'better-sqlite3'
import { bytesEqual } from '../../crypto/verify.js'
import type { AppendItem, AppendResult, ChangeStore, StoredConv, StoredEnvelope } from './ChangeStore.js'

/**
 * The embedded default store: one SQLite file in WAL mode. synchronous=NORMAL keeps every
 * committed transaction across a process crash (kill -9) because WAL frames are written before
 * commit returns; `durability: 'full'` also fsyncs each commit against power loss.
 */
export function openSqliteStore(file: string, options: { durability?: 'normal' | 'full' } = {}): ChangeStore {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`)
  db.pragma('foreign_keys = ON')
  db.exec(`
    CREATE TABLE IF NOT EXISTS convs (conv BLOB PRIMARY KEY, cap BLOB NOT NULL, epoch INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS docs (doc BLOB PRIMARY KEY, conv BLOB NOT NULL, last_sseq INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS heads (doc BLOB NOT NULL, device BLOB NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,
      PRIMARY KEY (doc, device)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS envelopes (doc BLOB NOT NULL, sseq INTEGER NOT NULL, device BLOB NOT NULL, seq INTEGER NOT NULL,
      hash BLOB NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (doc, sseq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS envelopes_by_device ON envelopes (doc, device, seq);
  `)
  const q = {
    getConv: db.prepare<[Uint8Array], { cap: Uint8Array; epoch: number }>('SELECT cap, epoch FROM convs WHERE conv = ?'),
    insertConv: db.prepare('INSERT OR IGNORE INTO convs (conv, cap, epoch) VALUES (?, ?, ?)'),
    getDoc: db.prepare<[Uint8Array], { conv: Uint8Array; last_sseq: number }>('SELECT conv, last_sseq FROM docs WHERE doc = ?'),
    insertDoc: db.prepare('INSERT INTO docs (doc, conv, last_sseq) VALUES (?, ?, 0)'),
    bumpDoc: db.prepare('UPDATE docs SET last_sseq = ? WHERE doc = ?'),
    existing: db.prepare<[Uint8Array, Uint8Array, number], { sseq: number; hash: Uint8Array }>(
      'SELECT sseq, hash FROM envelopes WHERE doc = ? AND device = ? AND seq = ?',
    ),
    head: db.prepare<[Uint8Array, Uint8Array], { seq: number; hash: Uint8Array }>('SELECT seq, hash FROM heads WHERE doc = ? AND device = ?'),
    setHead: db.prepare('INSERT INTO heads (doc, device, seq, hash) VALUES (?, ?, ?, ?) ON CONFLICT (doc, device) DO UPDATE SET seq = excluded.seq, hash = excluded.hash'),
    insert: db.prepare('INSERT INTO envelopes (doc, sseq, device, seq, hash, bytes) VALUES (?, ?, ?, ?, ?, ?)'),
    read: db.prepare<[Uint8Array, number, number], { sseq: number; bytes: Uint8Array }>(
      'SELECT sseq, bytes FROM envelopes WHERE doc = ? AND sseq > ? ORDER BY sseq LIMIT ?',
    ),
  }

  const appendOne = (item: AppendItem): AppendResult => {
    const doc = q.getDoc.get(item.doc)
    // Invariant 5: a document never moves to another conversation.
    if (doc && !bytesEqual(doc.conv, item.conv)) return { ok: false, reason: 'wrong-conv' }
    // Invariant 2: repeats are idempotent, a different envelope at the same place is refused.
    const existing = q.existing.get(item.doc, item.device, item.seq)
    if (existing) return bytesEqual(existing.hash, item.hash) ? { ok: true, sseq: existing.sseq, duplicate: true } : { ok: false, reason: 'equivocation' }
    // Invariant 3: gap-free, hash-linked per device.
    const head = q.head.get(item.doc, item.device)
    const lastSeq = head?.seq ?? 0
    if (item.seq !== lastSeq + 1) return { ok: false, reason: 'seq-gap' }
    if (head ? !bytesEqual(head.hash, item.prev) : item.prev.some((b) => b !== 0)) return { ok: false, reason: 'chain-broken' }
    if (!doc) q.insertDoc.run(item.doc, item.conv)
    // Invariant 4: sseq strictly increasing per document.
    const sseq = (doc?.last_sseq ?? 0) + 1
    q.bumpDoc.run(sseq, item.doc)
    q.setHead.run(item.doc, item.device, item.seq, item.hash)
    q.insert.run(item.doc, sseq, item.device, item.seq, item.hash, item.bytes)
    return { ok: true, sseq, duplicate: false }
  }
  // Invariant 1: one transaction per push; better-sqlite3 commits before returning.
  const appendAll = db.transaction((items: readonly AppendItem[]) => items.map(appendOne))

  return {
    async getConv(conv) {
      const row = q.getConv.get(conv)
      return row ? { capPublic: row.cap, epoch: row.epoch } : undefined
    },
    async registerConv(conv, capPublic, epoch): Promise<StoredConv> {
      q.insertConv.run(conv, capPublic, epoch)
      const row = q.getConv.get(conv)!
      return { capPublic: row.cap, epoch: row.epoch }
    },
    async append(items) {
      return appendAll(items)
    },
    async read(conv, doc, after, limit): Promise<StoredEnvelope[]> {
      const owner = q.getDoc.get(doc)
      if (!owner || !bytesEqual(owner.conv, conv)) return []
      return q.read.all(doc, after, limit)
    },
    async close() {
      db.close()
    },
  }
}
