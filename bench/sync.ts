/**
 * npm run bench:sync — 10,000 one-line messages from one device to another through our blind
 * server (encrypted, signed, durable), and the same through automerge-repo's own unencrypted
 * WebSocket sync server, on this machine in this run. Each side: server + 2 clients, 3 processes.
 * Prints JSON as the last line of stdout; ratios are what to compare (the machine is noisy).
 *
 *   BENCH_MESSAGES (10000)  BENCH_PACED (100)  BENCH_GAP_MS (10)  BENCH_DEBUG (print the slowest paced messages)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServerProcess } from '../tests/integration/helpers/serverProcess.js'
import { percentile, round, sampleRss, startWorker, waitReady, type Worker } from './procs.js'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000)
const PACED = Number(process.env.BENCH_PACED ?? 100)
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 10)

interface Side {
  messagesPerSecond: number
  convergeMs: number
  writerLoopMs: number
  latencyP50Ms: number
  latencyP99Ms: number
  serverRssMb: { startMb: number; peakMb: number; endMb: number }
}

async function client(script: string, url: string, name: string): Promise<Worker> {
  const w = startWorker(script, [url, name])
  await waitReady(w)
  return w
}

/** The same script for both systems: paced latency on a fresh conversation, then the burst. */
async function run(label: string, serverPid: number, script: string, url: string): Promise<Side> {
  const rss = sampleRss(serverPid)
  const a = await client(script, url, `${label}-A`)
  const b = await client(script, url, `${label}-B`)
  try {
    const { conv, link } = await a.call<{ conv: string; link: string }>('create')
    await b.call('join', { link })
    await new Promise((r) => setTimeout(r, 500))

    const arrivals = new Map<string, number>()
    b.on('arrived', (d) => {
      const { text, at } = d as { text: string; at: number }
      if (!arrivals.has(text)) arrivals.set(text, at)
    })
    await b.call('expect', { count: PACED })
    const pacedDone = new Promise((r) => b.on('all', r))
    const sentAt = await a.call<Record<string, number>>('paced', { conv, count: PACED, gapMs: GAP_MS })
    await pacedDone
    const latencies = Object.entries(sentAt).map(([text, t]) => arrivals.get(text)! - t)
    if (process.env.BENCH_DEBUG) console.error(label, JSON.stringify(Object.entries(sentAt).map(([text, t]): [string, number] => [text, Math.round(arrivals.get(text)! - t)]).sort((x, y) => y[1] - x[1]).slice(0, 6)))

    await b.call('expect', { count: MESSAGES })
    const all = new Promise<{ at: number }>((r) => b.on('all', (d) => r(d as { at: number })))
    const { start, loopMs } = await a.call<{ start: number; loopMs: number }>('burst', { conv, count: MESSAGES })
    const { at } = await all
    const convergeMs = at - start
    return {
      messagesPerSecond: round(MESSAGES / (convergeMs / 1000)),
      convergeMs: round(convergeMs),
      writerLoopMs: round(loopMs),
      latencyP50Ms: round(percentile(latencies, 50), 2),
      latencyP99Ms: round(percentile(latencies, 99), 2),
      serverRssMb: rss.stop(),
    }
  } finally {
    await Promise.allSettled([a.call('stop'), b.call('stop')])
    await Promise.allSettled([a.kill(), b.kill()])
  }
}

// Both servers' data folders are removed after their run (the clients remove their own).
const oursDir = mkdtempSync(join(tmpdir(), 'bench-ours-'))
const server = await startServerProcess({ dataDir: oursDir, env: { LOG_LEVEL: 'warn' } })
const ours = await run('ours', server.pid(), 'bench/ours-client.ts', server.url)
await server.kill()
rmSync(oursDir, { recursive: true, force: true })

const peerDir = mkdtempSync(join(tmpdir(), 'bench-peer-server-'))
const peerServer = startWorker('bench/peer-server.ts', [peerDir])
await waitReady(peerServer)
const port = await peerServer.call<number>('port')
const peer = await run('peer', peerServer.child.pid!, 'bench/peer-client.ts', `ws://127.0.0.1:${port}`)
await peerServer.kill()
rmSync(peerDir, { recursive: true, force: true })

const result = {
  messages: MESSAGES,
  paced: { count: PACED, gapMs: GAP_MS },
  ours: { system: 'fieldchat blind server (encrypted, signed, SQLite WAL)', ...ours },
  peer: { system: '@automerge/automerge-repo-network-websocket 2.5 server (plaintext, NodeFS storage)', ...peer },
  ratio: {
    throughput: round(ours.messagesPerSecond / peer.messagesPerSecond, 2),
    latencyP50: round(peer.latencyP50Ms / ours.latencyP50Ms, 2),
  },
}
console.log(JSON.stringify(result))
process.exit(0)
