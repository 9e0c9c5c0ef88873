import { parseArgs } from 'node:util'
import { startSyncServer } from '../../sync-server/server.js'
import { createLogger } from '../../sync-server/log.js'
import { DEEP_LIMITS } from './phases.js'

/**
 * The real sync server (sync-server/server.ts, SQLite in `--data`) with the fuzzer's "deep"
 * limits: frame rate and strikes out of the way, so valid frames reach the handlers at the
 * fuzzer's pace, and short timers, so slow peers meet them within a run. Everything else (frame
 * sizes, caps, the store) is as shipped. `npm run fuzz` starts it as a child process.
 */
const { values } = parseArgs({ options: { port: { type: 'string' }, data: { type: 'string' } } })
const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !values.data) {
  console.error('usage: deepServer.ts --port <port> --data <dir>')
  process.exit(2)
}
const server = await startSyncServer({ port, host: '127.0.0.1', dataDir: values.data, limits: DEEP_LIMITS, log: createLogger() })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void server.close().then(() => process.exit(0)))
