import { createServer, type Server } from 'node:http'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { Connection, type ConnectionContext } from './connection.js'
import { DecoyPoolCache } from './decoyPools.js'
import { Hub } from './hub.js'
import { defaultLimits, defaultRecoveryLimits, type RecoveryLimits, type ServerLimits } from './limits.js'
import { createLogger, type Logger } from './log.js'
import { staticHandler } from './http.js'
import { recoveryHandler } from './recovery/handler.js'
import { isRecoveryPath } from './recovery/request.js'
import { clientKey } from './recovery/rateLimit.js'
import { createBudgets } from './budgets.js'
import { openSqliteStore } from './store/sqlite.js'
import type { ChangeStore } from './store/ChangeStore.js'
import { openMemoryRecoveryStore } from './store/memoryRecovery.js'
import type { RecoveryBlobStore } from './store/RecoveryBlobStore.js'

export interface SyncServerOptions {
  readonly port: number
  readonly host: string
  /** Folder for the SQLite database; ignored when `store` is given. */
  readonly dataDir?: string
  readonly store?: ChangeStore
  /** Recovery blobs ([S15]); default: the SQLite file's own table, or in memory when `store` is given. */
  readonly recovery?: RecoveryBlobStore
  /** Built PWA to serve on the same port (dist/); omitted → API only. */
  readonly staticDir?: string
  readonly limits?: Partial<ServerLimits>
  readonly recoveryLimits?: Partial<RecoveryLimits>
  readonly log?: Logger
  readonly durability?: 'normal' | 'full'
}

export interface RunningServer {
  readonly port: number
  readonly url: string
  close(): Promise<void>
}

export const SYNC_PATH = '/sync'

/** One process, one port: the PWA over HTTP, the sync protocol over WebSocket at /sync, /healthz, /recovery/<addr>. */
export async function startSyncServer(options: SyncServerOptions): Promise<RunningServer> {
  const log = options.log ?? createLogger()
  const limits = { ...defaultLimits, ...options.limits }
  let store = options.store
  let recovery = options.recovery
  if (!store) {
    const dir = options.dataDir ?? './data'
    mkdirSync(dir, { recursive: true })
    const sqlite = openSqliteStore(join(dir, 'sync.sqlite'), { durability: options.durability ?? 'normal' })
    store = sqlite
    recovery ??= sqlite.recovery
  }
  recovery ??= openMemoryRecoveryStore()
  const metrics = { envelopesIn: 0, envelopesOut: 0, framesRejected: 0 }
  const ctx: ConnectionContext = { mailboxes: new Map(), decoyPools: new DecoyPoolCache(), joins: new Map(), store, hub: new Hub(), log, limits, budgets: createBudgets(limits), metrics }
  const serveStatic = staticHandler(options.staticDir)
  const serveRecovery = recoveryHandler({ store: recovery, limits: { ...defaultRecoveryLimits, ...options.recoveryLimits }, log })
  const started = Date.now()
  // [S11] Mail older than MAIL_TTL_DAYS goes (decoy recipients, [M27], never read theirs): at
  // start and every hour.
  const expire = async () => {
    const gone = await store.expireMail(Date.now()).catch((err: unknown) => (log.error({ err: (err as Error).message }, 'mail expiry failed'), 0))
    if (gone) log.info({ gone }, 'expired mail')
  }
  await expire()
  const expiry = setInterval(() => void expire(), 3_600_000)
  expiry.unref()
  let connections = 0

  // [S6] Slow or silent HTTP peers: headers (an upgrade's too) within headersTimeoutMs, checked
  // every second; a TCP connection silent before its request completes is closed.
  const http: Server = createServer({ headersTimeout: limits.headersTimeoutMs, requestTimeout: Math.max(limits.headersTimeoutMs, 130_000), connectionsCheckingInterval: 1_000 }, (req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      return void res.end(JSON.stringify({ ok: true, uptimeSeconds: Math.round((Date.now() - started) / 1000), connections, ...metrics }))
    }
    if (isRecoveryPath(req.url)) return serveRecovery(req, res)
    serveStatic(req, res)
  })
  http.on('connection', (s) => s.setTimeout(limits.silentSocketMs, () => s.destroy()))
  const wss = new WebSocketServer({ server: http, path: SYNC_PATH, maxPayload: limits.hardFrameBytes, perMessageDeflate: false })
  wss.on('connection', (socket, req) => {
    // Upgraded: the connection's own idle check takes over from the HTTP socket timeout.
    req.socket.setTimeout(0)
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
  return {
    port,
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    async close() {
      clearInterval(expiry)
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
      await new Promise<void>((r) => http.close(() => r()))
      await store.close()
    },
  }
}
