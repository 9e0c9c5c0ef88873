import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { startSyncServer } from './server.js'
import { createLogger } from './log.js'
import { StoreFormatError } from './store/sqlite.js'

/**
 * `npm start` entry. Flags win over environment variables:
 *   --port / PORT (8787)   --host / HOST (127.0.0.1)   --data / DATA_DIR (./data)
 *   --static / STATIC_DIR (./dist)   --durability / DURABILITY (normal | full)
 *   --recovery-max-blobs / RECOVERY_MAX_BLOBS (10000)   --recovery-max-bytes / RECOVERY_MAX_BYTES (2 GiB)
 *   --recovery-rate / RECOVERY_RATE_PER_MINUTE (120; the burst is a third of it, at least 10)
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
const staticDir = values.static ?? process.env.STATIC_DIR ?? './dist'
if (!existsSync(staticDir)) log.warn({ staticDir }, 'no built app found; serving the sync API only (run npm run build)')

const server = await startSyncServer({
  port,
  host: values.host ?? process.env.HOST ?? '127.0.0.1',
  dataDir: values.data ?? process.env.DATA_DIR ?? './data',
  staticDir: existsSync(staticDir) ? staticDir : undefined,
  durability,
  recoveryLimits: { ...(maxBlobs ? { maxBlobs } : {}), ...(maxTotalBytes ? { maxTotalBytes } : {}), ...(rate ? { requestsPerMinute: rate, burstRequests: Math.max(10, Math.floor(rate / 3)) } : {}) },
  log,
}).catch((err: unknown) => {
  // A data directory of another format is refused with its code, never read as this one.
  if (err instanceof StoreFormatError) {
    log.error({ code: 'S100_STORE_FORMAT', found: err.found }, err.message)
    console.error(err.message)
    process.exit(2)
  }
  throw err
})
console.error(`fieldchat is running at ${server.url.replace('127.0.0.1', 'localhost')}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
