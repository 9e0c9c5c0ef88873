import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The real sync server as a child process on 127.0.0.1, with its own data folder and logs. */
export interface ServerProcess {
  readonly port: number
  readonly dataDir: string
  readonly url: string
  readonly httpUrl: string
  /** Everything the process wrote to stdout and stderr, across restarts. */
  output(): string
  pid(): number
  kill(signal?: NodeJS.Signals): Promise<void>
  restart(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address ? address.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** `databaseUrl`: run on that PostgreSQL store (`--database-url`, [S20]) instead of SQLite in the data folder. */
export async function startServerProcess(options: { dataDir?: string; staticDir?: string; env?: Record<string, string>; databaseUrl?: string } = {}): Promise<ServerProcess> {
  const port = await freePort()
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'fieldchat-server-'))
  let child: ChildProcess | undefined
  let log = ''
  const httpUrl = `http://127.0.0.1:${port}`

  const launch = async () => {
    const args = ['--import', 'tsx', 'sync-server/main.ts', '--port', String(port), '--data', dataDir, '--static', options.staticDir ?? join(dataDir, 'no-static'), ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : [])]
    child = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'info', RECOVERY_RATE_PER_MINUTE: '100000', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${log}`)
      try {
        const res = await fetch(`${httpUrl}/healthz`)
        if (res.ok) return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server did not start:\n${log}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  await launch()
  return {
    port,
    dataDir,
    url: `ws://127.0.0.1:${port}/sync`,
    httpUrl,
    output: () => log,
    pid: () => child?.pid ?? 0,
    async kill(signal = 'SIGTERM') {
      const c = child
      if (!c || c.exitCode !== null || c.signalCode !== null) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill(signal)
      await exited
    },
    async restart() {
      await launch()
    },
  }
}
