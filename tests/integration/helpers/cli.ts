import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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

/** `node --import tsx client/cli/main.ts …`, as `npm run cli` runs it (without npm's own start-up). */
export function runCli(args: readonly string[], timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] })
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
