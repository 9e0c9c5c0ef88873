/**
 * npm run bench:load — the sync server under many idle connections and one flooding device
 * (issue 9): the real server as a child process (SQLite, LOG_LEVEL warn), and in this process
 * two devices A and B in one conversation, A pushing one envelope every BENCH_GAP_MS to B (paced
 * latency: A's send to B's live `envelopes`, one clock). Phases, in order:
 *   1. baseline: A and B alone;
 *   2. memory: BENCH_IDLE (1,000) idle authenticated connections (two worker processes, spread
 *      over client addresses), then BENCH_IDLE_MAX (10,000) when the machine has the memory —
 *      the server's RSS per idle connection, before any other load leaves garbage behind;
 *   3. idle: paced latency with the idle connections open;
 *   4. idle + flood: one more device (its own process) sends pings as fast as its socket takes
 *      them and reconnects every 2 s;
 *   5. flood: the idle connections closed, the flooder alone.
 * RSS per idle connection is (RSS with them − RSS before) / count, each the median of five
 * readings, each after a full garbage collection the bench asks the server for (SIGUSR2 to a
 * hook it preloads only here, bench/load/gcOnSignal.mjs). Ratios compare each phase's p50/p99 with the baseline of this run (the
 * machine is shared and noisy). Last line of stdout: JSON.
 */
import { freemem } from 'node:os'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServerProcess } from '../../tests/integration/helpers/serverProcess.js'
import { percentile, round, startWorker, waitReady, type Worker } from '../procs.js'
import { WireDevice, WireRoom } from './wire.js'

const PACED = Number(process.env.BENCH_PACED ?? 500)
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 20)
const IDLE = Number(process.env.BENCH_IDLE ?? 1_000)
const IDLE_MAX = Number(process.env.BENCH_IDLE_MAX ?? 10_000)

const dataDir = mkdtempSync(join(tmpdir(), 'bench-load-'))
const gcHook = join(process.cwd(), 'bench/load/gcOnSignal.mjs')
const server = await startServerProcess({ dataDir, env: { LOG_LEVEL: 'warn', NODE_OPTIONS: `--expose-gc --import ${gcHook}` } })
const wsUrl = `${server.url}`
const settle = (ms = 3_000) => new Promise((r) => setTimeout(r, ms))
const rssNow = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid()}/status`, 'utf8'))![1]) / 1024
/** The median of five readings, each after a full collection in the server (gcOnSignal.mjs). */
async function rssMb(): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < 5; i++) {
    process.kill(server.pid(), 'SIGUSR2')
    await settle(500)
    xs.push(rssNow())
  }
  return percentile(xs, 50)
}

async function worker(script: string): Promise<Worker> {
  const w = startWorker(script)
  await waitReady(w)
  return w
}

// The two measured devices.
const a = new WireDevice()
const b = new WireDevice()
await a.connect(wsUrl)
await b.connect(wsUrl)
const room = new WireRoom(a)
await a.join(room)
await b.join(room)
await b.subscribe(room)
// Keep-alive as the app does ([M19]): opening 10,000 idle connections takes longer than the
// server's 60 s idle timeout, and A and B must still be there after it.
const keepAlive = setInterval(() => [a, b].forEach((d) => d.send({ type: 'ping', t: 0 })), 15_000)

/** PACED pushes from A, one every GAP_MS; the latency of each to B's live frame. */
async function paced(label: string) {
  const sentAt: number[] = []
  const arrived: number[] = []
  const done = new Promise<void>((resolve) => {
    b.onMessage = (m) => {
      if (m.type !== 'envelopes' || !m.live) return
      for (let i = 0; i < m.items.length; i++) arrived.push(performance.now())
      if (arrived.length >= PACED) resolve()
    }
  })
  for (let i = 0; i < PACED; i++) {
    const env = await a.envelope(room, new TextEncoder().encode(`paced ${i}`))
    sentAt.push(performance.now())
    a.send({ type: 'push', id: i, envelopes: [env] })
    await new Promise((r) => setTimeout(r, GAP_MS))
  }
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`${label}: ${arrived.length} of ${PACED} arrived`)), 60_000))])
  b.onMessage = () => undefined
  const latencies = sentAt.map((t, i) => arrived[i]! - t)
  const result = { p50Ms: round(percentile(latencies, 50), 2), p99Ms: round(percentile(latencies, 99), 2), maxMs: round(Math.max(...latencies), 1) }
  console.error(`${label}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`)
  return result
}

async function withFlood<T>(fn: () => Promise<T>): Promise<{ result: T; flood: { sent: number; answered: number; reconnects: number; framesPerSecond: number } }> {
  const f = await worker('bench/load/flood.ts')
  const t = performance.now()
  await f.call('start', { url: wsUrl })
  await settle(1_000)
  const result = await fn()
  const stats = await f.call<{ sent: number; answered: number; reconnects: number }>('stop')
  const seconds = (performance.now() - t) / 1000
  await f.kill()
  console.error(`flooder: ${stats.sent} pings sent (${round(stats.sent / seconds)}/s offered), ${stats.answered} answered (${round(stats.answered / seconds)}/s), ${stats.reconnects} reconnects`)
  return { result, flood: { ...stats, framesPerSecond: round(stats.answered / seconds) } }
}

/** `count` idle connections from the idle workers (two processes: the handshakes' signatures are the bench's bottleneck). */
async function idleConnections(count: number, idle: Worker[]) {
  await settle()
  const before = await rssMb()
  const t = performance.now()
  const share = Math.ceil(count / idle.length)
  const open = (await Promise.all(idle.map((w, i) => w.call<number>('open', { url: wsUrl, count: Math.min(share, count - i * share), offset: i * share })))).reduce((x, y) => x + y, 0)
  const connectSeconds = (performance.now() - t) / 1000
  await settle()
  const after = await rssMb()
  const perConnectionKb = ((after - before) * 1024) / count
  console.error(`${open} idle connections (opened in ${round(connectSeconds)} s): server RSS ${round(before)} → ${round(after)} MiB, ${round(perConnectionKb, 2)} KiB each`)
  return { count: open, connectSeconds: round(connectSeconds), rssBeforeMb: round(before), rssAfterMb: round(after), rssPerConnectionKb: round(perConnectionKb, 2) }
}

try {
  await paced('warm-up')
  const baseline = await paced('baseline')
  // Memory first, on a server that has seen nothing else: later phases leave garbage behind.
  const idle = [await worker('bench/load/idle.ts'), await worker('bench/load/idle.ts')]
  const idleSmall = await idleConnections(IDLE, idle)
  // 10,000 connections: about 1 GiB across the bench's own processes and the server.
  let idleLarge: Awaited<ReturnType<typeof idleConnections>> | undefined
  if (IDLE_MAX > IDLE && freemem() > 1.5 * 1024 ** 3) {
    await Promise.all(idle.map((w) => w.call('closeAll')))
    idleLarge = await idleConnections(IDLE_MAX, idle)
  } else console.error(`skipped ${IDLE_MAX} idle connections: ${round(freemem() / 1024 ** 2)} MiB free`)
  const idleCount = (idleLarge ?? idleSmall).count
  const withIdle = await paced(`${idleCount} idle`)
  const idleFlood = await withFlood(() => paced(`${idleCount} idle + flood`))
  await Promise.all(idle.map((w) => w.call('closeAll')))
  await Promise.all(idle.map((w) => w.kill()))
  await settle(1_000)
  const flood = await withFlood(() => paced('flood'))
  const ratio = (x: { p50Ms: number; p99Ms: number }) => ({ p50: round(x.p50Ms / baseline.p50Ms, 2), p99: round(x.p99Ms / baseline.p99Ms, 2) })
  console.log(JSON.stringify({
    pacedMessages: PACED,
    gapMs: GAP_MS,
    peer: 'the same two devices on the same server in this run with nothing else connected (baseline)',
    baseline,
    flood: { ...flood.result, flooder: flood.flood, ratio: ratio(flood.result) },
    idleMemory: { small: idleSmall, ...(idleLarge ? { large: idleLarge } : {}) },
    idle: { connections: idleCount, ...withIdle, ratio: ratio(withIdle) },
    idleFlood: { connections: idleCount, ...idleFlood.result, flooder: idleFlood.flood, ratio: ratio(idleFlood.result) },
    targets: { rssPerIdleConnectionKb: 20, p99RatioWithFlood: 2 },
  }))
} finally {
  clearInterval(keepAlive)
  a.close()
  b.close()
  await server.kill()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(0)
