import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleCli } from '../../../client/cli/bundle.mjs'

/**
 * The CLI bundled once per test worker as `npm run cli` bundles it (client/cli/bundle.mjs, started
 * with a code cache), so each of the test's many runs starts in plain node instead of
 * transpiling every file again with tsx.
 */
let bundle: Promise<string> | undefined
/** The path of this worker's CLI bundle, built on first use (for tests that spawn it themselves). */
export function cliBundle(): Promise<string> {
  // One file per test worker: workers (and checkouts sharing node_modules) build at the same time,
  // and a bundle another one is still writing must never be run. Inside node_modules, so that the
  // external packages resolve from it.
  const dir = join(process.cwd(), 'node_modules', '.cache', 'fieldchat-cli', String(process.pid))
  if (!bundle) process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  bundle ??= bundleCli(dir)
  return bundle
}

/** One run of the CLI as a child process, as a script would run it. */
export interface CliRun {
  readonly args: readonly string[]
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** stdout as the one JSON document that --json promises (throws with the output otherwise). */
  json<T = Record<string, unknown>>(): T
}

/** A device's data folder: one person's home for the CLI. */
export interface CliHome {
  readonly name: string
  readonly dir: string
  run(...args: string[]): Promise<CliRun>
}

export function cliHome(name: string, serverUrl: () => string): CliHome {
  const dir = mkdtempSync(join(tmpdir(), `fieldchat-cli-${name}-`))
  return { name, dir, run: (...args) => runCli(['--home', dir, '--server', serverUrl(), ...args]) }
}

/** The CLI (client/cli/main.ts, bundled) in a child process, as a script would run it; `env` adds to this process's. */
export async function runCli(args: readonly string[], timeoutMs = 90_000, env?: Record<string, string>): Promise<CliRun> {
  const main = await cliBundle()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({
        args,
        code: code ?? -1,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T
          } catch {
            throw new Error(`not one JSON document from \`${args.join(' ')}\` (exit ${code}):\n${stdout}\n${stderr}`)
          }
        },
      })
    })
  })
}
