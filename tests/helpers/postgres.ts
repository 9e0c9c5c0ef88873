import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, test } from 'vitest'
import { parseDatabaseUrl } from '../../sync-server/store/postgresUrl.js'
import { freshSchema, postgresBaseUrl, postgresRequired, postgresUnreachable, type PgSchema } from '../integration/helpers/pgSchema.js'

/**
 * The PostgreSQL suites' gate: the URL (FIELDCHAT_TEST_DATABASE_URL, default the test machines'
 * postgres://postgres@127.0.0.1:5432/test) and whether it answers. Unreachable: every suite
 * declared with `describePostgres` is skipped, and one line says so per run; with
 * FIELDCHAT_REQUIRE_POSTGRES=1 (CI) each of them fails instead.
 */
export const postgresUrl = postgresBaseUrl()
const unreachable = await postgresUnreachable(postgresUrl)
export const postgresReachable = unreachable === undefined

export function describePostgres(name: string, body: () => void): void {
  if (!unreachable) {
    describe(name, body)
  } else if (postgresRequired()) {
    describe(name, () => test(`PostgreSQL is required (FIELDCHAT_REQUIRE_POSTGRES=1): ${unreachable}`, () => {
      throw new Error(`${unreachable}, and FIELDCHAT_REQUIRE_POSTGRES=1`)
    }))
  } else {
    announceSkip()
    describe.skip(name, body)
  }
}

/** A fresh schema for one store: its URL puts it on the search path; `drop` removes it and all it holds. */
export const pgSchema = (prefix = 't'): Promise<PgSchema> => freshSchema(prefix, postgresUrl)

/**
 * One schema for a whole test file, emptied between tests instead of made anew (creating,
 * opening and dropping one costs 0.3–0.45 s here; emptying it a few ms): `empty()` deletes the
 * rows of every table but the format record. Dropped after the file.
 */
export function schemaPerFile(prefix: string): { url(): Promise<string>; empty(): Promise<void> } {
  let schema: Promise<PgSchema> | undefined
  afterAll(async () => {
    await (await schema)?.drop()
  })
  const get = () => (schema ??= pgSchema(prefix))
  return {
    url: async () => (await get()).url,
    async empty() {
      const client = new pg.Client({ connectionString: (await get()).url })
      await client.connect()
      try {
        // DELETE, not TRUNCATE: a few ms against 120–250 ms for these small tables. In name order,
        // rows (`mail`) go before the bodies they refer to (`mail_body`).
        const tables = await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'store_format' ORDER BY tablename")
        for (const { t } of tables.rows) await client.query(`DELETE FROM ${client.escapeIdentifier(t)}`)
      } finally {
        await client.end()
      }
    },
  }
}

let announced = false
/** Once per test run (test files run in worker processes of one vitest process): the first one to get here says it. */
function announceSkip(): void {
  if (announced) return
  announced = true
  try {
    closeSync(openSync(join(tmpdir(), `fieldchat-postgres-skipped-${process.ppid}`), 'wx'))
  } catch {
    return // another test file of this run said it already
  }
  console.warn(`PostgreSQL not reachable at ${redactedUrl()}: skipped ${suiteFiles()} PostgreSQL suites (${unreachable}; FIELDCHAT_REQUIRE_POSTGRES=1 makes them fail instead)`)
}

function redactedUrl(): string {
  try {
    return parseDatabaseUrl(postgresUrl).redacted
  } catch {
    return 'FIELDCHAT_TEST_DATABASE_URL (not a postgres:// URL)'
  }
}

/** How many test files declare PostgreSQL suites through this helper. */
function suiteFiles(): number {
  const root = join(import.meta.dirname, '..')
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .filter((f) => readFileSync(join(root, f), 'utf8').includes('describePostgres(')).length
}
