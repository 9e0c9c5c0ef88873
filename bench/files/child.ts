import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { RSS_AT_EXIT, usageAtExit, vmHwmMb, watchPeakRss, type CpuMs } from './rss.js'

/** One measured process that ran to its end. */
export interface ChildRun {
  readonly code: number
  /** Spawn to exit, wall clock. */
  readonly ms: number
  /** The process's peak resident memory, MiB. */
  readonly peakRssMb: number
  /** Its CPU time, user and system (absent if it died before reporting it). */
  readonly cpuMs?: CpuMs
  /** When the first stdout line arrived, ms after the spawn. */
  readonly firstLineAtMs: number
  /** stdout lines with their arrival (ms after the spawn); the last 200 only. */
  readonly lines: readonly { readonly atMs: number; readonly text: string }[]
  readonly stderr: string
  /** Killed after `stallMs` without a line on stdout. */
  readonly stalled: boolean
}

export interface ChildOptions {
  /** Node flags for this process (e.g. --cpu-prof). */
  readonly execArgv?: readonly string[]
  /** Kill it when this long passes without a line on stdout (a stuck transfer fails the bench instead of hanging it). */
  readonly stallMs?: number
}

const KEEP_LINES = 200

/** Runs `node SCRIPT ARGS…` (a bundled .mjs), timed from spawn to exit, its peak RSS measured. */
export function runChild(script: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildRun> {
  const rssDir = mkdtempSync(join(tmpdir(), 'bench-files-rss-'))
  const rssFile = join(rssDir, 'maxrss')
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', pathToFileURL(RSS_AT_EXIT).href, ...(options.execArgv ?? []), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
  })
  const watch = watchPeakRss(child.pid!)
  const lines: { atMs: number; text: string }[] = []
  let partial = ''
  let stderr = ''
  let firstLineAtMs = NaN
  let stalled = false
  let lastLineAt = performance.now()
  const stallTimer = options.stallMs
    ? setInterval(() => {
        if (performance.now() - lastLineAt < options.stallMs!) return
        stalled = true
        child.kill('SIGKILL')
      }, 1000)
    : undefined
  child.stdout!.on('data', (d: Buffer) => {
    const atMs = performance.now() - started
    const parts = (partial + d.toString()).split('\n')
    partial = parts.pop()!
    if (parts.length) lastLineAt = performance.now()
    if (parts.length && Number.isNaN(firstLineAtMs)) firstLineAtMs = atMs
    for (const text of parts) lines.push({ atMs, text })
    if (lines.length > 2 * KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES)
  })
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      const ms = performance.now() - started
      clearInterval(stallTimer)
      if (partial) lines.push({ atMs: ms, text: partial })
      const usage = usageAtExit(rssFile)
      const peakRssMb = Math.max(watch.stop(), usage.peakRssMb ?? 0)
      rmSync(rssDir, { recursive: true, force: true })
      resolve({ code: code ?? -1, ms, peakRssMb, ...(usage.cpuMs ? { cpuMs: usage.cpuMs } : {}), firstLineAtMs, lines: lines.slice(-KEEP_LINES), stderr, stalled })
    })
  })
}

/** The last stdout line as JSON (the result document of a --json run); throws with the output otherwise. */
export function lastJson<T>(run: ChildRun, what: string): T {
  const text = run.lines.at(-1)?.text ?? ''
  try {
    if (run.stalled) throw new Error('stalled: no output for too long, killed')
    if (run.code !== 0) throw new Error(`exit ${run.code}`)
    return JSON.parse(text) as T
  } catch (err) {
    throw new Error(`${what} failed (${(err as Error).message}):\n${run.lines.slice(-5).map((l) => l.text).join('\n')}\n${run.stderr}`)
  }
}

/** A long-lived process (a server): its first stdout line, and its peak RSS read just before it is stopped. */
export interface LiveChild {
  readonly child: ChildProcess
  readonly firstLine: string
  /** Stops it (SIGTERM) and gives its peak RSS over its whole life, MiB. */
  stop(): Promise<number>
}

export async function startChild(script: string, args: readonly string[]): Promise<LiveChild> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
  })
  child.removeAllListeners('exit')
  return {
    child,
    firstLine,
    async stop() {
      const peak = vmHwmMb(child.pid!) ?? 0
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      return peak
    },
  }
}
