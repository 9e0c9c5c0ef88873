import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { mkdirSync } from 'node:fs'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { Connection, type ConnectionContext } from './connection.js'
import { DecoyPoolCache } from './decoyPools.js'
import { Hub } from './hub.js'
import { defaultBlobLimits, defaultLimits, defaultRecoveryLimits, type BlobLimits, type RecoveryLimits, type ServerLimits } from './limits.js'
import { createLogger, type Logger } from './log.js'
import { configHandler, isConfigPath, staticHandler } from './http.js'
import { recoveryHandler } from './recovery/handler.js'
import { isRecoveryPath } from './recovery/request.js'
import { clientKey } from './recovery/rateLimit.js'
import { createBudgets } from './budgets.js'
import { OperatorEndpoints } from './metrics/endpoints.js'
import { ServerMetrics } from './metrics/serverMetrics.js'
import { StoreProbe } from './metrics/storeProbe.js'
import { openSqliteStore } from './store/sqlite.js'
import { dayOf, type ChangeStore } from './store/ChangeStore.js'
import { openMemoryRecoveryStore } from './store/memoryRecovery.js'
import { openPostgresStore, type PostgresStore } from './store/postgres.js'
import { DatabaseUnavailableError, parseDatabaseUrl } from './store/postgresUrl.js'
import type { Fanout } from './fanout/Fanout.js'
import { localFanout } from './fanout/local.js'
import { MailboxIndex } from './fanout/mailboxIndex.js'
import { PostgresFanout } from './fanout/postgres.js'
import type { RecoveryBlobStore } from './store/RecoveryBlobStore.js'
import type { BlobStore } from './blobs/BlobStore.js'
import { openDiskBlobStore } from './blobs/diskBlobs.js'
import { blobHandler } from './blobs/handler.js'
import { openMemoryBlobStore } from './blobs/memoryBlobs.js'
import { openPostgresBlobStore } from './blobs/postgresBlobs.js'
import { isBlobPath } from './blobs/request.js'
import type { PushConfig } from './push/config.js'
import type { TurnConfig } from './turn/config.js'
import { isPushConfigPath, pushConfigHandler } from './push/http.js'
import { openMemoryPushStore } from './push/memoryPushStore.js'
import type { PushStore } from './push/PushStore.js'
import { PushService, defaultPushLimits, type PushLimits } from './push/service.js'
import { openSqlitePushStore } from './push/sqlitePushStore.js'

export interface SyncServerOptions {
  readonly port: number
  readonly host: string
  /** Folder for the SQLite database; ignored when `store` or `databaseUrl` is given. */
  readonly dataDir?: string
  /** [S20][S21] postgres://… : the PostgreSQL store, shared with other instances (fan-out by LISTEN/NOTIFY); ignored when `store` is given. */
  readonly databaseUrl?: string
  readonly store?: ChangeStore
  /** Recovery blobs ([S15]); default: the SQLite file's own table, or in memory when `store` is given. */
  readonly recovery?: RecoveryBlobStore
  /** [B10] File blobs; default: files under dataDir/blobs, PostgreSQL with `databaseUrl`, in memory when `store` is given. Closed with the server. */
  readonly blobs?: BlobStore
  readonly blobLimits?: Partial<BlobLimits>
  /** Built PWA to serve on the same port (dist/); omitted → API only. */
  readonly staticDir?: string
  readonly limits?: Partial<ServerLimits>
  readonly recoveryLimits?: Partial<RecoveryLimits>
  readonly log?: Logger
  readonly durability?: 'normal' | 'full'
  /** [S19] When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly metricsToken?: string
  /** [S41] PEM certificate (chain) and key: every route and /sync over HTTPS/WSS on the same port. */
  readonly tls?: { readonly cert: Buffer | string; readonly key: Buffer | string }
  /** [S42] The origin people open (an https proxy, a LAN name), served at /v1/config for invitation links. */
  readonly publicUrl?: string
  /** [S50] Web Push: VAPID keys and allowed push services; absent, wakes are refused (1400). */
  readonly push?: PushConfig
  /** [S55] TURN servers and their shared secret: devices get short-lived credentials for calls. */
  readonly turn?: TurnConfig
  readonly pushLimits?: Partial<PushLimits>
  /** [S53] Push subscriptions; default: `<dataDir>/push.sqlite`, in memory when `store` is given. */
  readonly pushStore?: PushStore
  /** The clock of the sweeps that drop documents past their keep-until day ([S56]); default Date.now. Tests move it. */
  readonly now?: () => number
}

export interface RunningServer {
  readonly port: number
  readonly url: string
  /** [S7] /readyz answers 503 from now on (a load balancer stops sending here); the server keeps serving until close. */
  drain(): void
  /** Drains, then closes every connection, the listener and the store. */
  close(): Promise<void>
}

export const SYNC_PATH = '/sync'

/** One process, one port: the PWA over HTTP, the sync protocol over WebSocket at /sync, /healthz, /recovery/<addr>. */
export async function startSyncServer(options: SyncServerOptions): Promise<RunningServer> {
  const log = options.log ?? createLogger()
  const limits = { ...defaultLimits, ...options.limits }
  let store = options.store
  let recovery = options.recovery
  let blobs = options.blobs
  const blobLimits = { ...defaultBlobLimits, ...options.blobLimits }
  let postgres: PostgresStore | undefined
  if (!store && options.databaseUrl) {
    const onConnectionError = (err: Error) => log.warn({ code: 'S102_DATABASE_UNAVAILABLE', err: err.message }, 'a PostgreSQL connection failed')
    store = postgres = await openPostgresStore(options.databaseUrl, { onConnectionError })
    recovery ??= postgres.recovery
    // [B10] Its own pool: each upload in flight holds a connection while its body arrives.
    blobs ??= await openPostgresBlobStore(options.databaseUrl, { maxConnections: blobLimits.maxConcurrentUploads + 4, onConnectionError }).catch(async (err: unknown) => {
      await store!.close()
      throw new DatabaseUnavailableError(parseDatabaseUrl(options.databaseUrl!).redacted, err)
    })
    log.info({ database: parseDatabaseUrl(options.databaseUrl).redacted, schema: postgres.place.schema }, 'store: PostgreSQL')
  }
  if (!store) {
    const dir = options.dataDir ?? './data'
    mkdirSync(dir, { recursive: true })
    const sqlite = openSqliteStore(join(dir, 'sync.sqlite'), { durability: options.durability ?? 'normal' })
    store = sqlite
    recovery ??= sqlite.recovery
    blobs ??= await openDiskBlobStore(dir)
  }
  recovery ??= openMemoryRecoveryStore()
  blobs ??= openMemoryBlobStore()
  const probe = new StoreProbe(store, log)
  const metrics = new ServerMetrics({
    connections: () => ({ open: connections, authenticated: [...ctx.mailboxes.values()].reduce((n, set) => n + set.size, 0) }),
    mailDepth: () => store.mailDepth(),
    writable: () => probe.writable(),
  })
  const operator = new OperatorEndpoints({ metrics, probe, connections: () => connections, metricsToken: options.metricsToken, unready: () => (deaf ? 'notices' : undefined) })
  const targets = { hub: new Hub(), mailboxes: new MailboxIndex<Connection>(), joins: new Map<string, Set<Connection>>() }
  // [S21] An instance that cannot hear the others serves nobody: its devices go to one that can.
  let deaf = false
  let sockets: Iterable<{ close(code: number, reason: string): void }> = []
  const onHearing = (listening: boolean) => {
    deaf = !listening
    if (deaf) for (const socket of sockets) socket.close(1012, 'instance cannot hear the others: reconnect')
  }
  let fanout: Fanout
  try {
    fanout = postgres
      ? await PostgresFanout.start({ url: options.databaseUrl!, channel: postgres.place.channel, pool: postgres.pool, store, targets, log, onHearing })
      : localFanout(targets)
  } catch (err) {
    await blobs.close()
    await store.close()
    throw new DatabaseUnavailableError(parseDatabaseUrl(options.databaseUrl!).redacted, err)
  }
  // [S53] token → subscription only, in a file of its own beside the others (per instance).
  const push = options.push
    ? new PushService(options.push, options.pushStore ?? (options.store ? openMemoryPushStore() : openSqlitePushStore(join(options.dataDir ?? './data', 'push.sqlite'))), log, { ...defaultPushLimits, ...options.pushLimits })
    : undefined
  const ctx: ConnectionContext = { ...targets, fanout, decoyPools: new DecoyPoolCache(), store, log, limits, budgets: createBudgets(limits), metrics, ...(push ? { push } : {}), ...(options.turn ? { turn: options.turn } : {}) }
  const servePushConfig = pushConfigHandler(push?.publicKey)
  const serveStatic = staticHandler(options.staticDir)
  const serveConfig = configHandler(options.publicUrl)
  const serveRecovery = recoveryHandler({ store: recovery, limits: { ...defaultRecoveryLimits, ...options.recoveryLimits }, log })
  const serveBlobs = blobHandler({ store: blobs, caps: store, limits: blobLimits, log, silentSocketMs: limits.silentSocketMs, metrics })
  // [S11] Mail older than MAIL_TTL_DAYS goes (decoy recipients, [M27], never read theirs): at
  // start and every hour.
  const expire = async () => {
    const gone = await store.expireMail(Date.now()).catch((err: unknown) => (log.error({ err: (err as Error).message }, 'mail expiry failed'), 0))
    if (gone) log.info({ gone }, 'expired mail')
  }
  await expire()
  const expiry = setInterval(() => void expire(), 3_600_000)
  expiry.unref()
  // [B9] Incomplete blobs with no write for blobLimits.incompleteDays go: at start and every hour.
  const sweep = async () => {
    const gone = await blobs.sweep(Date.now(), blobLimits.incompleteDays).catch((err: unknown) => (log.error({ err: (err as { code?: string }).code ?? (err as Error).name }, 'blob sweep failed'), 0))
    if (gone) log.info({ gone }, 'swept incomplete blobs')
  }
  // [S56] Documents whose keep-until day has passed go (envelopes, snapshots; a tombstone stays),
  // at start and every hour with the blob sweep. Only the count is logged ([S8]).
  const now = options.now ?? Date.now
  const dropDocs = async () => {
    const gone = await store.dropExpired(dayOf(now())).catch((err: unknown) => (log.error({ err: (err as { code?: string }).code ?? (err as Error).name }, 'dropping expired documents failed'), 0))
    if (gone) log.info({ gone }, 'dropped documents past their keep-until day')
  }
  await sweep()
  await dropDocs()
  const sweeper = setInterval(() => void sweep().then(dropDocs), 3_600_000)
  sweeper.unref()
  let connections = 0

  // [S6] Slow or silent HTTP peers: headers (an upgrade's too) within headersTimeoutMs, checked
  // every second; a TCP connection silent before its request completes is closed.
  const httpOptions = { headersTimeout: limits.headersTimeoutMs, requestTimeout: Math.max(limits.headersTimeoutMs, 130_000), connectionsCheckingInterval: 1_000 }
  const route = (req: IncomingMessage, res: ServerResponse) => {
    // [S7][S19] /healthz, /readyz, /metrics.
    if (operator.handle(req, res)) return
    if (isRecoveryPath(req.url)) return serveRecovery(req, res)
    if (isBlobPath(req.url)) return serveBlobs(req, res)
    if (isConfigPath(req.url)) return serveConfig(req, res)
    if (isPushConfigPath(req.url)) return servePushConfig(req, res)
    serveStatic(req, res)
  }
  // [S41] With TLS the same routes and upgrade run over https; a handshake not done within the
  // header timeout is dropped like a slow header.
  const http: Server = options.tls
    ? createTlsServer({ ...httpOptions, cert: options.tls.cert, key: options.tls.key, handshakeTimeout: limits.headersTimeoutMs }, route)
    : createServer(httpOptions, route)
  // The socket timed here must be the one requests and upgrades see as req.socket (the blob
  // handler and the upgrade below retune it): with TLS that is the TLS socket, not the TCP one.
  http.on(options.tls ? 'secureConnection' : 'connection', (s: Socket) => s.setTimeout(limits.silentSocketMs, () => s.destroy()))
  const wss = new WebSocketServer({ server: http, path: SYNC_PATH, maxPayload: limits.hardFrameBytes, perMessageDeflate: false })
  sockets = wss.clients
  wss.on('connection', (socket, req) => {
    // Upgraded: the connection's own idle check takes over from the HTTP socket timeout.
    req.socket.setTimeout(0)
    if (deaf) return void socket.close(1013, 'instance cannot hear the others: try again later')
    connections++
    const conn = new Connection(socket, ctx, clientKey(req.socket.remoteAddress))
    log.info({ conn: conn.id, connections }, 'connected')
    socket.on('close', (code) => {
      connections--
      log.info({ conn: conn.id, code, connections }, 'disconnected')
    })
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port, options.host, () => resolve())
  })
  const address = http.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  log.info({ host: options.host, port }, 'listening')
  operator.ready()
  return {
    port,
    url: `${options.tls ? 'https' : 'http'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    drain: () => operator.drain(),
    async close() {
      // [S7] Not ready first: a balancer that asks now is told to go elsewhere.
      operator.drain()
      clearInterval(expiry)
      clearInterval(sweeper)
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
      await new Promise<void>((r) => http.close(() => r()))
      await fanout.close()
      await push?.close()
      await blobs.close()
      await store.close()
    },
  }
}
