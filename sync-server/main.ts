import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { startSyncServer } from './server.js'
import { createLogger } from './log.js'
import { describeOpenUrls, lanWarning, openUrls } from './openUrls.js'
import { parsePublicUrl, PublicUrlError, type PublicOrigin } from './publicUrl.js'
import { loadTlsFiles, TlsFilesError, type TlsFiles } from './tls.js'
import { StoreFormatError } from './store/sqlite.js'
import { parsePushConfig, PushConfigError, type PushConfig } from './push/config.js'
import { parseTurnConfig, TurnConfigError, type TurnConfig } from './turn/config.js'
import { DatabaseUnavailableError, DatabaseUrlError, parseDatabaseUrl, type DatabaseUrl } from './store/postgresUrl.js'

/**
 * `npm start` entry. Flags win over environment variables:
 *   --port / PORT (8787)   --host / HOST (127.0.0.1)   --data / DATA_DIR (./data)
 *   --static / STATIC_DIR (./dist)   --durability / DURABILITY (normal | full)
 *   --recovery-max-blobs / RECOVERY_MAX_BLOBS (10000)   --recovery-max-bytes / RECOVERY_MAX_BYTES (2 GiB)
 *   --recovery-rate / RECOVERY_RATE_PER_MINUTE (120; the burst is a third of it, at least 10)
 *   --metrics-token / METRICS_TOKEN (unset: /metrics is open)   --drain-seconds / DRAIN_SECONDS (0)
 *   --database-url / DATABASE_URL (unset: SQLite in --data; postgres://… : PostgreSQL, several instances, [S20])
 *   --blob-space-quota-mb / BLOB_SPACE_QUOTA_MB (20480)   --blob-max-total-mb / BLOB_MAX_TOTAL_MB (unset: no limit)
 *   --blob-incomplete-days / BLOB_INCOMPLETE_DAYS (7)   (file blobs, protocol [B4], [B9])
 *   --public-url / PUBLIC_URL (unset: links use the origin the app was opened at; [S40], [S42])
 *   --tls-cert / TLS_CERT and --tls-key / TLS_KEY (PEM files, both or neither: HTTPS and WSS, [S41])
 *   --vapid-public-key / VAPID_PUBLIC_KEY, --vapid-private-key / VAPID_PRIVATE_KEY, --vapid-subject / VAPID_SUBJECT
 *   --turn-url / TURN_URL (comma-separated turn:/turns:/stun: URLs), --turn-secret / TURN_SECRET
 *     (coturn's static-auth-secret; the environment keeps it out of `ps`), --turn-ttl / TURN_TTL
 *     (seconds a credential lasts, 3600)
 *     (all three or none: content-free Web Push wake-ups, [S50]; `npm run push:keys` makes a pair)
 *   --push-services / PUSH_SERVICES (comma-separated origins; default: the browsers' push services)
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    static: { type: 'string' },
    durability: { type: 'string' },
    'recovery-max-blobs': { type: 'string' },
    'recovery-max-bytes': { type: 'string' },
    'recovery-rate': { type: 'string' },
    'metrics-token': { type: 'string' },
    'drain-seconds': { type: 'string' },
    'database-url': { type: 'string' },
    'blob-space-quota-mb': { type: 'string' },
    'blob-max-total-mb': { type: 'string' },
    'blob-incomplete-days': { type: 'string' },
    'public-url': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'vapid-public-key': { type: 'string' },
    'vapid-private-key': { type: 'string' },
    'vapid-subject': { type: 'string' },
    'turn-url': { type: 'string' },
    'turn-secret': { type: 'string' },
    'turn-ttl': { type: 'string' },
    'push-services': { type: 'string' },
  },
})
const log = createLogger()
const port = Number(values.port ?? process.env.PORT ?? 8787)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log.error({ port: values.port ?? process.env.PORT }, 'invalid port')
  process.exit(2)
}
const durability = values.durability ?? process.env.DURABILITY ?? 'normal'
if (durability !== 'normal' && durability !== 'full') {
  log.error({ durability }, 'durability must be normal or full')
  process.exit(2)
}
// [S17] The recovery store's capacity: a positive whole number each, or the default.
const capacity = (flag: string | undefined, env: string | undefined, name: string): number | undefined => {
  const text = flag ?? env
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 1) {
    log.error({ [name]: text }, `${name} must be a positive whole number`)
    process.exit(2)
  }
  return n
}
const maxBlobs = capacity(values['recovery-max-blobs'], process.env.RECOVERY_MAX_BLOBS, 'recovery-max-blobs')
const maxTotalBytes = capacity(values['recovery-max-bytes'], process.env.RECOVERY_MAX_BYTES, 'recovery-max-bytes')
const rate = capacity(values['recovery-rate'], process.env.RECOVERY_RATE_PER_MINUTE, 'recovery-rate')
// [B4][B9] File blobs: the quota of one organisation space and the whole store's cap in MiB, and
// the days an unfinished upload is kept.
const MIB = 1024 * 1024
const spaceQuotaMb = capacity(values['blob-space-quota-mb'], process.env.BLOB_SPACE_QUOTA_MB, 'blob-space-quota-mb')
const maxTotalMb = capacity(values['blob-max-total-mb'], process.env.BLOB_MAX_TOTAL_MB, 'blob-max-total-mb')
const incompleteDays = capacity(values['blob-incomplete-days'], process.env.BLOB_INCOMPLETE_DAYS, 'blob-incomplete-days')
// [S7] Seconds between SIGTERM and closing, while /readyz answers 503: a load balancer's probe
// interval times its failure threshold, so it has stopped sending here before connections close.
const drainSeconds = Number(values['drain-seconds'] ?? process.env.DRAIN_SECONDS ?? 0)
if (!Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > 3600) {
  log.error({ drainSeconds: values['drain-seconds'] ?? process.env.DRAIN_SECONDS }, 'drain-seconds must be a number from 0 to 3600')
  process.exit(2)
}
// [S20] PostgreSQL only when asked for; a URL of another kind is refused before anything starts.
const databaseText = values['database-url'] ?? process.env.DATABASE_URL
let database: DatabaseUrl | undefined
try {
  database = databaseText === undefined || databaseText === '' ? undefined : parseDatabaseUrl(databaseText)
} catch (err) {
  if (!(err instanceof DatabaseUrlError)) throw err
  log.error({ code: err.code }, err.message)
  console.error(err.message)
  process.exit(2)
}
// [S40][S41] The address people open and the TLS files: checked before anything starts.
let publicUrl: PublicOrigin | undefined
let tls: TlsFiles | undefined
try {
  const publicText = values['public-url'] ?? process.env.PUBLIC_URL
  publicUrl = publicText === undefined || publicText === '' ? undefined : parsePublicUrl(publicText)
  tls = loadTlsFiles(values['tls-cert'] ?? process.env.TLS_CERT, values['tls-key'] ?? process.env.TLS_KEY)
} catch (err) {
  if (!(err instanceof PublicUrlError || err instanceof TlsFilesError)) throw err
  log.error({ code: err.code }, err.message)
  console.error(err.message)
  process.exit(2)
}
// [S50] Web Push: all three VAPID values or none, checked before anything starts.
let push: PushConfig | undefined
try {
  push = parsePushConfig({
    publicKey: values['vapid-public-key'] ?? process.env.VAPID_PUBLIC_KEY,
    privateKey: values['vapid-private-key'] ?? process.env.VAPID_PRIVATE_KEY,
    subject: values['vapid-subject'] ?? process.env.VAPID_SUBJECT,
    services: values['push-services'] ?? process.env.PUSH_SERVICES,
  })
} catch (err) {
  if (!(err instanceof PushConfigError)) throw err
  log.error({ code: err.code }, err.message)
  console.error(err.message)
  process.exit(2)
}
// [S55] TURN for calls: URLs and the shared secret together, or neither; checked before anything starts.
let turn: TurnConfig | undefined
try {
  turn = parseTurnConfig({ urls: values['turn-url'] ?? process.env.TURN_URL, secret: values['turn-secret'] ?? process.env.TURN_SECRET, ttl: values['turn-ttl'] ?? process.env.TURN_TTL })
} catch (err) {
  if (!(err instanceof TurnConfigError)) throw err
  log.error({ code: err.code }, err.message)
  console.error(err.message)
  process.exit(2)
}
const staticDir = values.static ?? process.env.STATIC_DIR ?? './dist'
if (!existsSync(staticDir)) log.warn({ staticDir }, 'no built app found; serving the sync API only (run npm run build)')

const host = values.host ?? process.env.HOST ?? '127.0.0.1'
const server = await startSyncServer({
  port,
  host,
  dataDir: values.data ?? process.env.DATA_DIR ?? './data',
  staticDir: existsSync(staticDir) ? staticDir : undefined,
  durability,
  ...(database ? { databaseUrl: database.url } : {}),
  metricsToken: values['metrics-token'] || process.env.METRICS_TOKEN || undefined,
  recoveryLimits: { ...(maxBlobs ? { maxBlobs } : {}), ...(maxTotalBytes ? { maxTotalBytes } : {}), ...(rate ? { requestsPerMinute: rate, burstRequests: Math.max(10, Math.floor(rate / 3)) } : {}) },
  blobLimits: { ...(spaceQuotaMb ? { spaceQuotaBytes: spaceQuotaMb * MIB } : {}), ...(maxTotalMb ? { maxTotalBytes: maxTotalMb * MIB } : {}), ...(incompleteDays ? { incompleteDays } : {}) },
  ...(tls ? { tls } : {}),
  ...(publicUrl ? { publicUrl } : {}),
  ...(push ? { push } : {}),
  ...(turn ? { turn } : {}),
  log,
}).catch((err: unknown) => {
  // A data directory of another format is refused with its code, never read as this one.
  if (err instanceof StoreFormatError) {
    log.error({ code: 'S100_STORE_FORMAT', found: err.found }, err.message)
    console.error(err.message)
    process.exit(2)
  }
  // [S20] Said with its code; the database URL only without its password.
  if (err instanceof DatabaseUrlError || err instanceof DatabaseUnavailableError) {
    log.error({ code: err.code }, err.message)
    console.error(err.message)
    process.exit(err instanceof DatabaseUrlError ? 2 : 1)
  }
  throw err
})
// [S43] Where to open it: this machine, its network addresses for a wildcard host, the public URL.
const urls = openUrls({ scheme: tls ? 'https' : 'http', host, port: server.port, interfaces: networkInterfaces(), ...(publicUrl ? { publicUrl } : {}) })
const warning = lanWarning(host, tls !== undefined, publicUrl)
if (warning) log.warn({ host }, warning)
console.error(describeOpenUrls(urls, warning))
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    // [S7] Not ready first, then close: a balancer stops sending during the drain. Ctrl-C does not wait.
    server.drain()
    const wait = signal === 'SIGTERM' ? drainSeconds * 1000 : 0
    void new Promise((r) => setTimeout(r, wait)).then(() => server.close()).then(() => process.exit(0))
  })
}
