import { spawn } from 'node:child_process'
import { freePort } from '../../tests/integration/helpers/serverProcess.js'

/**
 * The real sync server (sync-server/main.ts through tsx) as a child process on 127.0.0.1, as
 * tests/integration/helpers/serverProcess.ts starts it, but with node flags of the bench's choice
 * (--cpu-prof is refused in NODE_OPTIONS).
 */
export async function startSyncServer(dataDir: string, execArgv: readonly string[] = [], opts: { staticDir?: string; env?: Record<string, string> } = {}): Promise<{ url: string; http: string; pid: number; log(): string; stop(): Promise<void> }> {
  const port = await freePort()
  const args = ['--import', 'tsx', ...execArgv, 'sync-server/main.ts', '--port', String(port), '--data', dataDir, '--static', opts.staticDir ?? `${dataDir}/no-static`]
  const child = spawn(process.execPath, args, { env: { ...process.env, LOG_LEVEL: process.env.BENCH_FILES_LOG_LEVEL ?? 'warn', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  // The log's tail, for the error when a transfer fails (BENCH_FILES_LOG_LEVEL=info for every request).
  let log = ''
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000))
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited early:\n${log}`)
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${log}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    http: `http://localhost:${port}`,
    pid: child.pid!,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}
