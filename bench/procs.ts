import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Child processes for benchmarks: TypeScript via tsx, request/response over IPC. */
export interface Worker {
  readonly child: ChildProcess
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>
  on(event: string, fn: (data: unknown) => void): void
  kill(): Promise<void>
}

let nextId = 1

/** BENCH_CPU_PROF=DIR: every worker writes a V8 CPU profile there when it exits (bench/cpuprofile.ts reads it). */
const cpuProf = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []

export function startWorker(script: string, argv: string[] = []): Worker {
  const child = fork(script, argv, { execArgv: ['--import', 'tsx', ...cpuProf], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Map<string, ((data: unknown) => void)[]>()
  child.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string; data?: unknown }) => {
    if (msg.event) for (const fn of listeners.get(msg.event) ?? []) fn(msg.data)
    if (msg.id === undefined) return
    const p = pending.get(msg.id)
    pending.delete(msg.id)
    if (msg.ok) p?.resolve(msg.result)
    else p?.reject(new Error(msg.error))
  })
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${script} exited with ${code}`))
  })
  return {
    child,
    call: (cmd, args = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ id, cmd, args })
      }),
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn])
    },
    async kill() {
      // Already gone (an exit code, or a signal such as an earlier kill's): its 'exit' has fired.
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      // A profiling worker writes its profile only when it exits by itself (a `stop` exits it soon).
      if (cpuProf.length) await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** Serve IPC requests in a worker process. */
export function serve(handlers: Record<string, (args: Record<string, unknown>) => Promise<unknown> | unknown>): void {
  process.on('message', async (msg: { id: number; cmd: string; args: Record<string, unknown> }) => {
    try {
      const handler = handlers[msg.cmd]
      if (!handler) throw new Error(`unknown command ${msg.cmd}`)
      process.send!({ id: msg.id, ok: true, result: await handler(msg.args) })
    } catch (err) {
      process.send!({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) })
    }
  })
  process.send!({ event: 'ready' })
}

export function emit(event: string, data: unknown): void {
  process.send!({ event, data })
}

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6

/** Samples a process's resident memory (VmRSS, MB) until stopped. */
export function sampleRss(pid: number, everyMs = 50): { stop(): { peakMb: number; endMb: number; startMb: number } } {
  const read = () => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return m ? Number(m[1]) / 1024 : 0
    } catch {
      return 0
    }
  }
  const startMb = read()
  let peakMb = startMb
  const timer = setInterval(() => (peakMb = Math.max(peakMb, read())), everyMs)
  return {
    stop() {
      clearInterval(timer)
      const endMb = read()
      return { startMb: round(startMb), peakMb: round(Math.max(peakMb, endMb)), endMb: round(endMb) }
    },
  }
}

/** Settles when the worker says it is ready; rejects if it exits first (a bench must fail, not hang). */
export function waitReady(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    if (w.child.exitCode !== null) return reject(new Error(`the worker exited with ${w.child.exitCode} before it was ready`))
    const exited = (code: number | null) => reject(new Error(`the worker exited with ${code} before it was ready`))
    w.child.once('exit', exited)
    w.on('ready', () => {
      w.child.off('exit', exited)
      resolve()
    })
  })
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
