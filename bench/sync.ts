/**
 * npm run bench:sync — 10,000 one-line messages from one device to another through our blind
 * server (encrypted, signed, durable), and the same through automerge-repo's own unencrypted
 * WebSocket sync server, on this machine in this run. Each side: server + 2 clients, 3 processes.
 * Prints JSON as the last line of stdout; ratios are what to compare (the machine is noisy).
 *
 * Three phases per side: paced single messages (latency), the sequential burst (each send awaited
 * and the event loop yielded: `messagesPerSecond`), and the bot burst on a fresh conversation
 * (`burst`: all BENCH_MESSAGES sends issued at once, as an import or an alert bot would — ours
 * `Promise.all` of `messenger.send`, the peer `handle.change` in one loop without awaiting sync),
 * messages/s from the first send to the last arrival on the other device.
 *
 *   BENCH_MESSAGES (10000)  BENCH_PACED (100)  BENCH_WARMUP (50)  BENCH_GAP_MS (10)
 *   BENCH_DEBUG (print the slowest paced messages; `series`: every latency in order)
 *   BENCH_CPU_PROF=DIR (a V8 CPU profile of every client process)  BENCH_SIDES=ours|peer (run one side only)
 *   BENCH_REGION_PROF=DIR (ours: CPU profiles of the measured phases alone, bench/ours-client.ts)
 *   BENCH_SEQUENTIAL=0 (skip the sequential burst)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServerProcess } from '../tests/integration/helpers/serverProcess.js'
import { percentile, round, sampleRss, startWorker, waitReady, type Worker } from './procs.js'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000)
const PACED = Number(process.env.BENCH_PACED ?? 100)
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 10)
/**
 * Paced messages sent before the measured ones, on both sides alike: the first messages of a
 * process run through code not yet compiled (ours: 114 ms for the first, ~15 ms by the 20th,
 * 4-8 ms from the 30th). Their latencies are reported apart (`coldLatencyP50Ms`, `coldLatencyMaxMs`).
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50)

interface Side {
  messagesPerSecond: number
  /** Bot burst: messages/s, first send to last arrival. */
  burst: number
  burstConvergeMs: number
  burstWriterLoopMs: number
  convergeMs: number
  writerLoopMs: number
  latencyP50Ms: number
  latencyP99Ms: number
  /** The warm-up's paced messages (BENCH_WARMUP), apart: null without one. */
  coldLatencyP50Ms: number | null
  coldLatencyMaxMs: number | null
  serverRssMb: { startMb: number; peakMb: number; endMb: number }
}

async function client(script: string, url: string, name: string): Promise<Worker> {
  const w = startWorker(script, [url, name])
  await waitReady(w)
  return w
}

/** A fresh conversation between A and B: B joined, then a pause for the admission to settle. */
async function pair(a: Worker, b: Worker): Promise<string> {
  const { conv, link } = await a.call<{ conv: string; link: string }>('create')
  await b.call('join', { link })
  await new Promise((r) => setTimeout(r, 500))
  return conv
}

/** `count` messages written by A with `cmd`: from A's first send to B's last arrival. */
async function timed(a: Worker, b: Worker, cmd: string, conv: string, count: number): Promise<{ convergeMs: number; loopMs: number }> {
  await b.call('expect', { count })
  const all = new Promise<{ at: number }>((r) => b.on('all', (d) => r(d as { at: number })))
  const { start, loopMs } = await a.call<{ start: number; loopMs: number }>(cmd, { conv, count })
  const { at } = await all
  return { convergeMs: at - start, loopMs }
}

/** The same script for both systems: paced latency and the sequential burst on one conversation, the bot burst on another. */
async function run(label: string, serverPid: number, script: string, url: string): Promise<Side> {
  const rss = sampleRss(serverPid)
  const a = await client(script, url, `${label}-A`)
  const b = await client(script, url, `${label}-B`)
  try {
    const conv = await pair(a, b)

    const arrivals = new Map<string, number>()
    b.on('arrived', (d) => {
      const { text, at } = d as { text: string; at: number }
      if (!arrivals.has(text)) arrivals.set(text, at)
    })
    const pacedRun = async (count: number, from: number): Promise<Record<string, number>> => {
      if (!count) return {}
      await b.call('expect', { count })
      const done = new Promise((r) => b.on('all', r))
      const sent = await a.call<Record<string, number>>('paced', { conv, count, gapMs: GAP_MS, from })
      await done
      return sent
    }
    const coldAt = await pacedRun(WARMUP, 0)
    const sentAt = await pacedRun(PACED, WARMUP)
    const cold = Object.entries(coldAt).map(([text, t]) => arrivals.get(text)! - t)
    const latencies = Object.entries(sentAt).map(([text, t]) => arrivals.get(text)! - t)
    if (process.env.BENCH_DEBUG === 'series') console.error(label, 'series', latencies.map(Math.round).join(' '))
    if (process.env.BENCH_DEBUG) console.error(label, JSON.stringify(Object.entries(sentAt).map(([text, t]): [string, number] => [text, Math.round(arrivals.get(text)! - t)]).sort((x, y) => y[1] - x[1]).slice(0, 6)))

    // BENCH_SEQUENTIAL=0 skips the sequential burst (to profile the bot burst alone): reported as 0.
    const { convergeMs, loopMs } = process.env.BENCH_SEQUENTIAL === '0' ? { convergeMs: Infinity, loopMs: 0 } : await timed(a, b, 'burst', conv, MESSAGES)
    // A fresh conversation: the peer's change cost grows with its one document.
    const bot = await timed(a, b, 'botBurst', await pair(a, b), MESSAGES)
    return {
      messagesPerSecond: round(MESSAGES / (convergeMs / 1000)),
      burst: round(MESSAGES / (bot.convergeMs / 1000)),
      burstConvergeMs: round(bot.convergeMs),
      burstWriterLoopMs: round(bot.loopMs),
      convergeMs: round(convergeMs),
      writerLoopMs: round(loopMs),
      latencyP50Ms: round(percentile(latencies, 50), 2),
      latencyP99Ms: round(percentile(latencies, 99), 2),
      coldLatencyP50Ms: cold.length ? round(percentile(cold, 50), 2) : null,
      coldLatencyMaxMs: cold.length ? round(Math.max(...cold), 2) : null,
      serverRssMb: rss.stop(),
    }
  } finally {
    await Promise.allSettled([a.call('stop'), b.call('stop')])
    await Promise.allSettled([a.kill(), b.kill()])
  }
}

// Both servers' data folders are removed after their run (the clients remove their own).
const SIDES = process.env.BENCH_SIDES ?? 'ours,peer'

async function runOurs(): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ours-'))
  const server = await startServerProcess({ dataDir: dir, env: { LOG_LEVEL: 'warn' } })
  // A client that fails must not leave the server running (it did, with its data folder).
  try {
    return await run('ours', server.pid(), 'bench/ours-client.ts', server.url)
  } finally {
    await server.kill()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runPeer(): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-peer-server-'))
  const server = startWorker('bench/peer-server.ts', [dir])
  await waitReady(server)
  try {
    const port = await server.call<number>('port')
    return await run('peer', server.child.pid!, 'bench/peer-client.ts', `ws://127.0.0.1:${port}`)
  } finally {
    await server.kill()
    rmSync(dir, { recursive: true, force: true })
  }
}

const ours = SIDES.includes('ours') ? await runOurs() : undefined
const peer = SIDES.includes('peer') ? await runPeer() : undefined
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? round(a / b, 2) : null)

const result = {
  messages: MESSAGES,
  paced: { count: PACED, gapMs: GAP_MS, warmup: WARMUP },
  ours: ours && { system: 'fieldchat blind server (encrypted, signed, SQLite WAL)', ...ours },
  peer: peer && { system: '@automerge/automerge-repo-network-websocket 2.5 server (plaintext, NodeFS storage)', ...peer },
  ratio: {
    throughput: ratio(ours?.messagesPerSecond, peer?.messagesPerSecond),
    throughputBurst: ratio(ours?.burst, peer?.burst),
    latencyP50: ratio(peer?.latencyP50Ms, ours?.latencyP50Ms),
  },
}
console.log(JSON.stringify(result))
process.exit(0)
