import { StoreFormatError } from './sqlite.js'
import { transaction, type Pool } from './postgresPool.js'
import { DatabaseUrlError } from './postgresUrl.js'

/**
 * [S20] The tables of the PostgreSQL store, in the connection's current schema (the first
 * existing one on its search_path; unqualified names throughout, so one database can hold
 * several stores side by side). The same data as the SQLite file's format 7 ([S13]): envelopes
 * keyed by pseudonymous chain (crypto [E13]), mail rows under hashed destinations (crypto [K8])
 * with no sender and an expiry day, bodies stored once with their fanout, recovery blobs ([S18]),
 * keep-until days and tombstones of dropped documents ([S56]); no device keys, no mailbox
 * addresses, no times.
 *
 * Format 2 is this layout; format 1 lacked `keeps` and `dropped` and is upgraded in place on
 * open (the tables are added; its documents have no day: forever). A schema that holds tables
 * but no format record, or another format, is refused at start (StoreFormatError, S100) and left
 * as it is.
 */
export const POSTGRES_FORMAT = 2

/** [S56] Added by format 2: a row only for documents with a day (none: forever), and tombstones. */
const KEEP_TABLES = `
  CREATE TABLE keeps (doc bytea PRIMARY KEY, conv bytea NOT NULL, day integer NOT NULL);
  CREATE INDEX keeps_by_day ON keeps (day);
  CREATE TABLE dropped (doc bytea PRIMARY KEY, conv bytea NOT NULL);
`

const TABLES = `
  CREATE TABLE store_format (one boolean PRIMARY KEY DEFAULT true CHECK (one), format integer NOT NULL);
  CREATE TABLE convs (conv bytea PRIMARY KEY, cap bytea NOT NULL, epoch bigint NOT NULL, admin bytea);
  CREATE TABLE docs (doc bytea PRIMARY KEY, conv bytea NOT NULL, last_sseq bigint NOT NULL);
  CREATE TABLE heads (doc bytea NOT NULL, chain bytea NOT NULL, seq bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (doc, chain));
  CREATE TABLE envelopes (doc bytea NOT NULL, sseq bigint NOT NULL, chain bytea NOT NULL, seq bigint NOT NULL, hash bytea NOT NULL,
    bytes bytea NOT NULL, PRIMARY KEY (doc, sseq));
  CREATE UNIQUE INDEX envelopes_by_chain ON envelopes (doc, chain, seq);
  CREATE TABLE snapshots (doc bytea NOT NULL, chain bytea NOT NULL, seq bigint NOT NULL, covers_sseq bigint NOT NULL, hash bytea NOT NULL,
    bytes bytea NOT NULL, PRIMARY KEY (doc, chain));
  CREATE SEQUENCE mail_body_ids;
  CREATE TABLE mail_body (id bigint PRIMARY KEY DEFAULT nextval('mail_body_ids'), body bytea NOT NULL, refs integer NOT NULL, fanout integer NOT NULL);
  CREATE SEQUENCE mail_ids;
  CREATE TABLE mail (id bigint PRIMARY KEY DEFAULT nextval('mail_ids'), dest bytea NOT NULL, body_id bigint NOT NULL REFERENCES mail_body (id),
    expires integer NOT NULL);
  CREATE INDEX mail_by_dest ON mail (dest, id);
  CREATE INDEX mail_by_body ON mail (body_id);
  CREATE INDEX mail_by_expiry ON mail (expires);
  CREATE TABLE recovery_blobs (addr bytea PRIMARY KEY, write_hash bytea NOT NULL, data bytea NOT NULL);
  -- Sealed bytes do not compress: stored out of line as they are, without a compression attempt each.
  ALTER TABLE envelopes ALTER COLUMN bytes SET STORAGE EXTERNAL;
  ALTER TABLE snapshots ALTER COLUMN bytes SET STORAGE EXTERNAL;
  ALTER TABLE mail_body ALTER COLUMN body SET STORAGE EXTERNAL;
  ALTER TABLE recovery_blobs ALTER COLUMN data SET STORAGE EXTERNAL;
`

/** Where the store lives: its schema, and the names derived from it that must not meet another store's. */
export interface StorePlace {
  readonly schema: string
  /** The LISTEN/NOTIFY channel of this store's instances ([S21]): two schemas never hear each other. */
  readonly channel: string
}

/**
 * Creates the tables in an empty schema, or checks the format of one that has them. Instances
 * starting together on an empty schema take turns (an advisory lock), so the tables are made once.
 */
export async function prepareSchema(pool: Pool, redactedUrl: string): Promise<StorePlace> {
  return transaction(pool, async (c) => {
    const place = await c.query<{ schema: string | null; channel: string | null }>(
      "SELECT current_schema() AS schema, 'fieldchat_' || left(md5(current_database() || '/' || current_schema()), 24) AS channel",
    )
    const { schema, channel } = place.rows[0]!
    if (!schema || !channel) throw new DatabaseUrlError(`${redactedUrl}: its search_path names no existing schema to keep the store in`)
    await c.query("SELECT pg_advisory_xact_lock(hashtext('fieldchat:schema:' || current_schema()))")
    const tables = await c.query<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()')
    const where = `${redactedUrl} (schema ${schema})`
    if (tables.rows.length === 0) {
      await c.query(TABLES)
      await c.query(KEEP_TABLES)
      await c.query('INSERT INTO store_format (format) VALUES ($1)', [POSTGRES_FORMAT])
      return { schema, channel }
    }
    const found = tables.rows.some((t) => t.name === 'store_format')
      ? ((await c.query<{ format: number }>('SELECT format FROM store_format')).rows[0]?.format ?? 0)
      : 0
    if (found === 1) {
      // Under the advisory lock above: of instances starting together, one upgrades.
      await c.query(KEEP_TABLES)
      await c.query('UPDATE store_format SET format = $1', [POSTGRES_FORMAT])
      return { schema, channel }
    }
    if (found !== POSTGRES_FORMAT) throw new PostgresFormatError(where, found)
    return { schema, channel }
  })
}

/** [S13][S20] A schema of another layout (0: tables without a format record) is never read as this one. */
export class PostgresFormatError extends StoreFormatError {
  constructor(where: string, found: number) {
    super(where, found)
    this.message = `S100_STORE_FORMAT: ${where} holds ${found ? `data in PostgreSQL store format ${found}` : 'tables but no fieldchat format record'}; ` +
      `this server reads PostgreSQL store format ${POSTGRES_FORMAT} (and upgrades format 1). Give it an empty schema (or database) of its own.`
  }
}
