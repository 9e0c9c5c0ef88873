import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { build } from 'esbuild'
import { freePort } from './serverProcess.js'

/**
 * The real sync server (sync-server/main.ts, the code `npm start` runs) bundled once per test
 * worker and started with plain node, for tests that start it many times (the crash loop: 100
 * kill -9 and restarts). `node --import tsx` transpiles every file on each start (~1–2 s).
 *
 * Two things make a restart short, neither of which changes what runs once it starts:
 * - pure-JS dependencies are inlined (a bundle that leaves them in node_modules took 0.53–0.80 s
 *   to a healthy /healthz, this one 0.32–0.35 s; measured 2026-12-05 on the 2-core test
 *   machine). Packages with native code or optional native parts stay in node_modules.
 * - a spare process is started while the server runs: it loads the server's modules
 *   (sync-server/server.ts and everything it imports) and waits. A restart tells it to go, and
 *   only then does it run main.ts: parse the flags, open the store (recovering what the killed
 *   process left), listen. Like a process manager with a pre-forked spare: a new process that
 *   has touched neither the port nor the data before the old one is gone.
 */
const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'cbor-extract', 'bufferutil', 'utf-8-validate']
// Inlined CommonJS dependencies call require() for Node's built-in modules: give the ESM bundle one.
const REQUIRE_SHIM = "import { createRequire as __fieldchatRequire } from 'node:module'; const require = __fieldchatRequire(import.meta.url);"
// The spare: load the server's code, then run main on the first byte on stdin; a parent that goes away first ends it.
const LAUNCHER = `await import('./server.mjs')
process.stdin.once('end', () => process.exit(0))
process.stdin.once('data', () => {
  process.stdin.destroy()
  void import('./main.mjs')
})
`

let bundle: Promise<string> | undefined
/** The launcher of the bundle, built on first use into a folder named for its content (not the CLI's cache, helpers/cli.ts). */
export function serverBundle(): Promise<string> {
  bundle ??= (async () => {
    const cache = join(process.cwd(), 'node_modules', '.cache', 'fieldchat-sync-server-bundle')
    const built = await build({
      entryPoints: { main: 'sync-server/main.ts', server: 'sync-server/server.ts' }, bundle: true, splitting: true, platform: 'node', format: 'esm',
      target: 'node20', external: EXTERNAL, banner: { js: REQUIRE_SHIM }, outdir: cache, outExtension: { '.js': '.mjs' }, write: false, logLevel: 'warning',
    })
    const files = [...built.outputFiles.map((f) => ({ name: basename(f.path), bytes: f.contents })), { name: 'launch.mjs', bytes: new TextEncoder().encode(LAUNCHER) }]
    const hash = createHash('sha256')
    for (const f of files) hash.update(f.name).update(f.bytes)
    const dir = join(cache, `bundle-${hash.digest('hex').slice(0, 16)}`)
    if (!existsSync(dir)) {
      // Written aside and renamed whole: another test worker may be building or starting the same one.
      const aside = join(cache, `tmp-${process.pid}`)
      mkdirSync(aside, { recursive: true })
      for (const f of files) writeFileSync(join(aside, f.name), f.bytes)
      try {
        renameSync(aside, dir)
      } catch {
        rmSync(aside, { recursive: true, force: true }) // the other worker's copy is the same
      }
      pruneOldBundles(cache, dir)
    }
    return join(dir, 'launch.mjs')
  })()
  return bundle
}

/** Bundles of older sources, a day unused (a test elsewhere may still be starting a recent one). */
function pruneOldBundles(cache: string, keep: string): void {
  for (const name of readdirSync(cache)) {
    const path = join(cache, name)
    if (path === keep || !name.startsWith('bundle-')) continue
    if (Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true })
  }
}

/** The process exited (or was refused) before /healthz answered: its exit and everything it wrote. */
export class ServerExitedEarly extends Error {
  override name = 'ServerExitedEarly'
  constructor(readonly code: number | null, readonly signal: NodeJS.Signals | null, readonly output: string) {
    super(`server exited before it was ready (code ${code}, signal ${signal}):\n${output.slice(-4000)}`)
  }
}

export interface BundledServer {
  readonly port: number
  readonly dataDir: string
  readonly url: string
  readonly httpUrl: string
  /** Starts that reached a healthy /healthz (the first one included). */
  readonly starts: number
  /** Exits nobody asked for (a crash of the server itself), with how each ended. */
  readonly unexpectedExits: readonly string[]
  output(): string
  pid(): number
  /**
   * Sends `signal` and waits for the process to be gone. The signal is sent before this returns
   * its promise. SIGKILL: no handler runs and nothing is flushed.
   */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port, data directory and arguments. */
  restart(): Promise<void>
  /** Kills the server (SIGKILL) and the spare: call once at the end. */
  dispose(): Promise<void>
}

export interface BundledServerOptions {
  readonly dataDir?: string
  /** More arguments after --port, --data and --static (e.g. --database-url). */
  readonly args?: readonly string[]
  readonly env?: Record<string, string>
}

export async function startBundledServer(options: BundledServerOptions = {}): Promise<BundledServer> {
  const launcher = await serverBundle()
  const port = await freePort()
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'fieldchat-bundled-'))
  const httpUrl = `http://127.0.0.1:${port}`
  const args = [launcher, '--port', String(port), '--data', dataDir, '--static', join(dataDir, 'no-static'), ...(options.args ?? [])]
  const unexpectedExits: string[] = []
  let log = ''
  let child: ChildProcess | undefined
  let spare: ChildProcess | undefined
  let starts = 0
  let stopping = false

  const spawnSpare = (): ChildProcess => {
    const c = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'info', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
    c.stdin!.on('error', () => undefined) // a spare that died before go: seen below by its exit code
    c.stdout!.on('data', (d: Buffer) => (log += d.toString()))
    c.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    c.once('exit', (code, signal) => {
      if (!stopping && child === c) unexpectedExits.push(`code ${code}, signal ${signal}`)
    })
    return c
  }

  const launch = async () => {
    const c = spare ?? spawnSpare()
    spare = undefined
    stopping = false
    child = c
    c.stdin!.write('go\n')
    const deadline = Date.now() + 20_000
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new ServerExitedEarly(c.exitCode, c.signalCode, log)
      try {
        if ((await fetch(`${httpUrl}/healthz`)).ok) break
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        stopping = true
        c.kill('SIGKILL')
        throw new Error(`server did not answer /healthz within 20 s:\n${log.slice(-4000)}`)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
    starts++
    spare = spawnSpare()
  }

  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    stopping = true
    const exited = new Promise((r) => c.once('exit', r))
    c.kill(signal)
    await exited
  }

  // A test that timed out never reaches its `finally`: the processes must not outlive the worker.
  const orphans = () => {
    spare?.kill('SIGKILL')
    child?.kill('SIGKILL')
  }
  process.once('exit', orphans)
  try {
    await launch()
  } catch (err) {
    spare?.kill('SIGKILL')
    process.off('exit', orphans)
    throw err
  }
  return {
    port,
    dataDir,
    url: `ws://127.0.0.1:${port}/sync`,
    httpUrl,
    get starts() {
      return starts
    },
    unexpectedExits,
    output: () => log,
    pid: () => child?.pid ?? 0,
    kill,
    restart: launch,
    async dispose() {
      process.off('exit', orphans)
      spare?.kill('SIGKILL')
      spare = undefined
      await kill('SIGKILL')
    },
  }
}
