import { readFileSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { loadavg } from 'node:os'
import WebSocket from 'ws'
import { generateDeviceKeys } from '../../crypto/index.js'
import { decodeServerFrame, encodeFrame } from '../../protocol/index.js'
import { helloFor } from '../../tests/helpers/hello.js'
import { serve } from '../procs.js'

/**
 * The fuzzer's watch, in its own process so the fuzzer's busy event loop never delays it:
 * GET /healthz every 250 ms (an answer over 1 s is a stall), a paced ping every 250 ms over its
 * own authenticated connection (a pong over 1 s late is a stall too), and the server's VmRSS.
 * Each stall is logged with the machine's load average and this process's own timer lag, so a
 * stall of a crowded machine can be told from one of the server. Run by runner.ts through
 * bench/procs.ts (IPC): start, pid, status, stop.
 */
const EVERY_MS = 250
const STALL_MS = 1_000

export interface StallEntry {
  kind: 'health' | 'ping'
  /** How long it took (updated when the late answer comes). */
  ms: number
  /** Seconds into the phase. */
  at: number
  /** The machine's 1-minute load average then (2 cores), and this process's timer lag in the 2 s before. */
  load: number
  monitorLagMs: number
  /**
   * The server's main thread over the 2 s before the stall was seen (/proc/<pid>/schedstat): ms
   * it ran, and ms it was ready but waited for a CPU. Much waiting: the machine was crowded; much
   * running: the server had that much work in hand.
   */
  serverRanMs: number
  serverWaitedMs: number
  /**
   * The machine's, not the server's: its main thread waited for a CPU longer than it ran, and ran
   * less than half the stall time — it was not busy, it was not scheduled (a crowded machine).
   */
  starved: boolean
}

interface Watch {
  httpUrl: string
  wsUrl: string
  pid: number
}

const stats = {
  healthProbes: 0,
  healthStalls: 0,
  healthFailures: 0,
  maxHealthMs: 0,
  pings: 0,
  pingStalls: 0,
  /** Late answers while the server was starved of CPU (see StallEntry.starved): reported, not counted as stalls. */
  starvedStalls: 0,
  maxPingMs: 0,
  pingDisconnects: 0,
  rssStartMiB: 0,
  rssPeakMiB: 0,
  rssNowMiB: 0,
  /** How late this process's own 250 ms timer fired at worst: the machine's share of any stall. */
  maxMonitorLagMs: 0,
  /** Health answers and pongs over 1 s (the first 50). */
  stallLog: [] as StallEntry[],
}
const rtts: number[] = []
const agent = new Agent({ keepAlive: true, maxSockets: 1 })
let watch: Watch | undefined
let timer: NodeJS.Timeout | undefined
let started = 0
interface Pending {
  at: number
  entry?: StallEntry | undefined
  counted: boolean
}
let probeInFlight: Pending | undefined
let socket: WebSocket | undefined
const outstanding = new Map<number, Pending>()
let lastTick = 0
/** [time, lag] of recent ticks. */
const lags: [number, number][] = []
/** [time, ns run, ns waited] of the server's main thread, per tick. */
const sched: [number, number, number][] = []

function schedstat(pid: number): [number, number] | undefined {
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number)
    return ran !== undefined && waited !== undefined && Number.isFinite(ran) && Number.isFinite(waited) ? [ran, waited] : undefined
  } catch {
    return undefined
  }
}
let nextPing = 1

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/** Counts a late answer once (when it is seen to be late); returns its log entry, to be given the final time. */
function stall(kind: 'health' | 'ping', pending: Pending, now: number): void {
  pending.counted = true
  const monitorLagMs = Math.round(Math.max(0, ...lags.filter(([t]) => now - t < 2_000).map(([, lag]) => lag)))
  const from = sched.find(([t]) => now - t <= 2_000)
  const to = sched[sched.length - 1]
  const serverRanMs = from && to ? Math.round((to[1] - from[1]) / 1e6) : 0
  const serverWaitedMs = from && to ? Math.round((to[2] - from[2]) / 1e6) : 0
  const starved = from !== undefined && serverWaitedMs > serverRanMs && serverRanMs < STALL_MS / 2
  if (starved) stats.starvedStalls++
  else if (kind === 'health') stats.healthStalls++
  else stats.pingStalls++
  const entry: StallEntry = { kind, ms: Math.round(now - pending.at), at: Math.round((now - started) / 1000), load: Math.round(loadavg()[0]! * 10) / 10, monitorLagMs, serverRanMs, serverWaitedMs, starved }
  if (stats.stallLog.length < 50) {
    stats.stallLog.push(entry)
    pending.entry = entry
  }
}

function answered(pending: Pending, kind: 'health' | 'ping'): number {
  const ms = performance.now() - pending.at
  if (pending.entry) pending.entry.ms = Math.round(ms)
  else if (ms > STALL_MS && !pending.counted) stall(kind, pending, performance.now())
  return ms
}

function probe(w: Watch): void {
  const now = performance.now()
  if (probeInFlight) {
    // Still waiting: count it once, as soon as it is late, even if it never answers.
    if (!probeInFlight.counted && now - probeInFlight.at > STALL_MS) stall('health', probeInFlight, now)
    return
  }
  const p: Pending = { at: now, counted: false }
  probeInFlight = p
  healthz(`${w.httpUrl}/healthz`)
    .then(
      (ok) => {
        const ms = answered(p, 'health')
        stats.healthProbes++
        stats.maxHealthMs = Math.max(stats.maxHealthMs, ms)
        if (!ok) stats.healthFailures++
      },
      () => stats.healthFailures++,
    )
    .finally(() => (probeInFlight = undefined))
}

/** One GET over a kept-alive connection (fetch costs this process more than the probe measures). */
function healthz(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, timeout: 30_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

function connect(w: Watch): void {
  const ws = new WebSocket(w.wsUrl, { perMessageDeflate: false })
  socket = ws
  const keys = generateDeviceKeys()
  ws.on('error', () => undefined)
  ws.on('message', (data: Buffer) => {
    const m = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    if (!m.ok) return
    if (m.message.type === 'challenge') void helloFor(keys, m.message.nonce).then((h) => ws.send(encodeFrame(h)))
    if (m.message.type === 'pong') {
      const sent = outstanding.get(m.message.t)
      if (!sent) return
      outstanding.delete(m.message.t)
      const ms = answered(sent, 'ping')
      rtts.push(ms)
      stats.maxPingMs = Math.max(stats.maxPingMs, ms)
    }
  })
  ws.on('close', () => {
    if (socket !== ws || !watch) return
    stats.pingDisconnects++
    outstanding.clear()
    setTimeout(() => watch && connect(watch), 500)
  })
}

function ping(): void {
  const now = performance.now()
  for (const o of outstanding.values()) if (!o.counted && now - o.at > STALL_MS) stall('ping', o, now)
  if (socket?.readyState !== WebSocket.OPEN) return
  const t = nextPing++
  outstanding.set(t, { at: now, counted: false })
  stats.pings++
  socket.send(encodeFrame({ type: 'ping', t }))
}

function tick(): void {
  if (!watch) return
  const now = performance.now()
  if (lastTick) {
    const lag = now - lastTick - EVERY_MS
    stats.maxMonitorLagMs = Math.max(stats.maxMonitorLagMs, Math.round(lag))
    lags.push([now, lag])
    while (lags.length > 16) lags.shift()
  }
  lastTick = now
  const s = schedstat(watch.pid)
  if (s) {
    sched.push([now, s[0], s[1]])
    while (sched.length > 16) sched.shift()
  }
  probe(watch)
  ping()
  const rss = rssMiB(watch.pid)
  if (rss) {
    stats.rssNowMiB = rss
    stats.rssPeakMiB = Math.max(stats.rssPeakMiB, rss)
  }
}

const percentile = (p: number) => {
  const sorted = [...rtts].sort((a, b) => a - b)
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 10) / 10 : 0
}

const report = () => ({ ...stats, pingP50Ms: percentile(50), pingP99Ms: percentile(99), stallLog: stats.stallLog.map((e) => ({ ...e })) })

serve({
  start(args) {
    if (typeof args.httpUrl !== 'string' || typeof args.wsUrl !== 'string' || typeof args.pid !== 'number') throw new Error('start needs httpUrl, wsUrl, pid')
    watch = { httpUrl: args.httpUrl, wsUrl: args.wsUrl, pid: args.pid }
    started = performance.now()
    stats.rssStartMiB = stats.rssPeakMiB = stats.rssNowMiB = rssMiB(args.pid)
    connect(watch)
    timer = setInterval(tick, EVERY_MS)
    return { rssStartMiB: stats.rssStartMiB }
  },
  /** After a crash and restart: the new process. */
  pid(args) {
    if (watch && typeof args.pid === 'number') watch.pid = args.pid
    return true
  },
  status: () => report(),
  stop() {
    clearInterval(timer)
    const w = watch
    watch = undefined
    if (w) stats.rssNowMiB = rssMiB(w.pid) || stats.rssNowMiB
    socket?.close()
    return report()
  },
})
