import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../tests/integration/helpers/serverProcess.js'

/**
 * The server under test as a child process on 127.0.0.1 (like tests/integration/helpers/
 * serverProcess.ts), but its log is read as it comes and only its tail kept: a million rejected
 * frames are a million log lines. Error-level lines are counted; an exit we did not ask for is a
 * crash, and the server is started again on the same data so the run goes on.
 */
export interface ServerChild {
  readonly port: number
  readonly wsUrl: string
  readonly httpUrl: string
  pid(): number
  /** The log's last lines (for a crash report: never frame contents, [S8]). */
  tail(): string
  restart(): Promise<void>
  stop(): Promise<void>
}

const TAIL_BYTES = 16 * 1024

export async function startServerChild(entry: string, dataDir: string, events: { onCrash(detail: string): void; onErrorLog(line: string): void }): Promise<ServerChild> {
  mkdirSync(dataDir, { recursive: true })
  const port = await freePort()
  const httpUrl = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let tail = ''
  let stopping = false
  let partial = ''

  const onOutput = (d: Buffer) => {
    const text = partial + d.toString()
    const lines = text.split('\n')
    partial = lines.pop() ?? ''
    if (partial.length > TAIL_BYTES) partial = partial.slice(-TAIL_BYTES)
    for (const line of lines) if (/"level":(50|60)/.test(line)) events.onErrorLog(line)
    tail = (tail + text).slice(-TAIL_BYTES)
  }

  const launch = async () => {
    // FUZZ_SERVER_NODE_ARGS: extra Node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to see where its time goes).
    const nodeArgs = (process.env.FUZZ_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
    const args = [...nodeArgs, '--import', 'tsx', entry, '--port', String(port), '--data', dataDir]
    if (entry.endsWith('main.ts')) args.push('--static', join(dataDir, 'no-static'))
    const c = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
    child = c
    c.stdout!.on('data', onOutput)
    c.stderr!.on('data', onOutput)
    c.once('exit', (code, signal) => {
      if (!stopping && child === c) events.onCrash(`server exited (code ${code}, signal ${signal})\n${tail.slice(-2000)}`)
    })
    const deadline = Date.now() + 60_000
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`server exited at start:\n${tail}`)
      try {
        if ((await fetch(`${httpUrl}/healthz`)).ok) return
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server did not start:\n${tail}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  await launch()
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/sync`,
    httpUrl,
    pid: () => child?.pid ?? 0,
    tail: () => tail,
    restart: launch,
    async stop() {
      stopping = true
      const c = child
      if (!c || c.exitCode !== null || c.signalCode !== null) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill('SIGTERM')
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}
