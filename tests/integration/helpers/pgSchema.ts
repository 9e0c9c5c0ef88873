import pg from 'pg'
import { randomBytes, toHex } from '../../../crypto/index.js'

/** Where the PostgreSQL suites connect: FIELDCHAT_TEST_DATABASE_URL, else the test machines' local server. */
export const postgresBaseUrl = (): string => process.env.FIELDCHAT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** CI sets FIELDCHAT_REQUIRE_POSTGRES=1: there an unreachable PostgreSQL fails the suite instead of skipping it. */
export const postgresRequired = (): boolean => process.env.FIELDCHAT_REQUIRE_POSTGRES === '1'

/** A schema of its own for one test, so runs never see each other's tables; `url` puts it first on the search path. */
export interface PgSchema {
  readonly name: string
  readonly url: string
  drop(): Promise<void>
}

/** Why PostgreSQL cannot be used (a sentence for the skip message), or undefined when it answers. */
export async function postgresUnreachable(baseUrl = postgresBaseUrl()): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (err) {
    return `PostgreSQL at ${redact(baseUrl)} is not reachable (${(err as Error).message})`
  } finally {
    await client.end().catch(() => undefined)
  }
}

export async function freshSchema(prefix: string, baseUrl = postgresBaseUrl()): Promise<PgSchema> {
  // A random lowercase name: nothing to quote, nothing from outside the test in the SQL text.
  const name = `${prefix}_${toHex(randomBytes(6))}`
  await withClient(baseUrl, (c) => c.query(`CREATE SCHEMA ${name}`))
  // Spelled with %20, as libpq documents it (a '+' for the space is not read the same by every client).
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${name}`)}`
  return {
    name,
    url,
    drop: () => withClient(baseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => undefined),
  }
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'the configured URL'
  }
}
