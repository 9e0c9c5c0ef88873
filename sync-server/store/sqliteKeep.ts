import type { Database } from 'better-sqlite3'

/**
 * [S56] Keep-until days and dropped documents in the SQLite file (store format 7, [S13]).
 * `keeps` holds a row only for a document whose stored envelopes all named a day (invariant 9 of
 * ChangeStore): no row means forever, which is also what every document stored before format 7
 * is. `dropped` holds the tombstones (invariant 10): the conversation and document ids, nothing
 * else. Both are keyed by the document (a document belongs to one conversation, invariant 5).
 */
const TABLES = `
  CREATE TABLE IF NOT EXISTS keeps (doc BLOB PRIMARY KEY, conv BLOB NOT NULL, day INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS keeps_by_day ON keeps (day);
  CREATE TABLE IF NOT EXISTS dropped (doc BLOB PRIMARY KEY, conv BLOB NOT NULL) WITHOUT ROWID;
`
/** Documents dropped per transaction: one sweep never holds the writer for long. */
const DROP_BATCH = 100

export interface SqliteKeep {
  /** The conversation a dropped document belonged to, or undefined if it was never dropped. */
  droppedConv(doc: Uint8Array): Uint8Array | undefined
  /**
   * Invariant 9, inside the append's transaction, after an envelope of `doc` was newly stored:
   * `fresh` when that envelope created the document.
   */
  stored(conv: Uint8Array, doc: Uint8Array, fresh: boolean, keep: number): void
  /** Invariant 10; returns how many documents went. */
  dropExpired(today: number): Promise<number>
}

export function sqliteKeep(db: Database): SqliteKeep {
  db.exec(TABLES)
  const q = {
    dropped: db.prepare<[Uint8Array], { conv: Uint8Array }>('SELECT conv FROM dropped WHERE doc = ?'),
    insert: db.prepare('INSERT INTO keeps (doc, conv, day) VALUES (?, ?, ?)'),
    later: db.prepare('UPDATE keeps SET day = max(day, ?) WHERE doc = ?'),
    forever: db.prepare('DELETE FROM keeps WHERE doc = ?'),
    expired: db.prepare<[number, number], { doc: Uint8Array; conv: Uint8Array }>('SELECT doc, conv FROM keeps WHERE day < ? LIMIT ?'),
    envelopes: db.prepare('DELETE FROM envelopes WHERE doc = ?'),
    snapshots: db.prepare('DELETE FROM snapshots WHERE doc = ?'),
    heads: db.prepare('DELETE FROM heads WHERE doc = ?'),
    docs: db.prepare('DELETE FROM docs WHERE doc = ?'),
    tombstone: db.prepare('INSERT OR IGNORE INTO dropped (doc, conv) VALUES (?, ?)'),
  }
  const dropBatch = db.transaction((today: number): number => {
    const docs = q.expired.all(today, DROP_BATCH)
    for (const { doc, conv } of docs) {
      q.envelopes.run(doc)
      q.snapshots.run(doc)
      q.heads.run(doc)
      q.docs.run(doc)
      q.forever.run(doc)
      q.tombstone.run(doc, conv)
    }
    return docs.length
  })
  return {
    droppedConv: (doc) => q.dropped.get(doc)?.conv,
    stored(conv, doc, fresh, keep) {
      // A document without a row is forever: an existing one stays so (the UPDATE finds nothing).
      if (keep === 0) q.forever.run(doc)
      else if (fresh) q.insert.run(doc, conv, keep)
      else q.later.run(keep, doc)
    },
    async dropExpired(today) {
      let gone = 0
      for (let n = dropBatch(today); n > 0; n = dropBatch(today)) {
        gone += n
        // Other connections' pushes run between batches.
        await new Promise<void>((r) => setImmediate(r))
      }
      if (gone) {
        // secure_delete zeroes freed pages in the database file, but in WAL mode the old page
        // images stay in the -wal file until a checkpoint: truncate it, so dropped envelopes
        // leave both files.
        db.pragma('wal_checkpoint(TRUNCATE)')
      }
      return gone
    },
  }
}
