/**
 * [S20] The PostgreSQL connection string an operator gives (`--database-url`, `DATABASE_URL`).
 * Parsed before anything connects: only postgres:// and postgresql:// URLs are taken, anything
 * else is refused with S101 (main.ts exits with code 2). Its password is for the driver only:
 * logs and messages get `redacted`.
 */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError'
  readonly code = 'S101_DATABASE_URL'
  constructor(detail: string) {
    super(`S101_DATABASE_URL: ${detail}. Give a URL such as postgres://user@host:5432/database.`)
  }
}

export interface DatabaseUrl {
  /** What the driver connects with, password included. */
  readonly url: string
  /** The same without its password: the only form that is logged or shown. */
  readonly redacted: string
}

export function parseDatabaseUrl(text: string): DatabaseUrl {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    // Not even a URL: its text may be a password pasted in the wrong place, so it is not repeated.
    throw new DatabaseUrlError('the database URL is not a URL')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseUrlError(`the database URL must start with postgres:// or postgresql://, not ${parsed.protocol.slice(0, 20)}//`)
  }
  if (!parsed.hostname && !parsed.searchParams.has('host')) throw new DatabaseUrlError('the database URL names no host')
  return { url: text, redacted: redactDatabaseUrl(parsed) }
}

/** The URL with its password (and a `password` query parameter, which libpq also reads) replaced by ***. */
export function redactDatabaseUrl(url: URL): string {
  const copy = new URL(url.toString())
  if (copy.password) copy.password = '***'
  if (copy.searchParams.has('password')) copy.searchParams.set('password', '***')
  return copy.toString()
}

/** [S20] PostgreSQL did not answer at start, or refused the connection: main.ts exits with code 1. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError'
  readonly code = 'S102_DATABASE_UNAVAILABLE'
  constructor(redactedUrl: string, cause: unknown) {
    // The driver's message names the failure (refused, timed out, authentication failed), not the password.
    super(`S102_DATABASE_UNAVAILABLE: ${redactedUrl}: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}
