/**
 * npm run bench:catchup — P4: a device offline while 10,000 messages arrive across 20
 * conversations (500 each), written by another device through the real server; then the time
 * from its reconnecting until all 10,000 are readable on it. The same through the automerge-repo
 * peer (its WebSocket server with file storage; 20 documents) in the same run.
 *
 *   ours  writer W and reader R (worker processes, SQLite stores). W makes the conversations and
 *         invites R; R joins all, is admitted, and exits (offline). W writes 500 messages in each
 *         (concurrent sends) and waits until the server acknowledged every one. A new R process
 *         opens the same store (`openMs`, not in the measure), then `start()`: the clock runs from
 *         there (the socket opens) until every conversation lists 500 messages from W
 *         (`messenger.messages`).
 *   peer  W makes 20 documents; R (NodeFS storage) finds them all, then shuts down. W changes each
 *         500 times in one loop; an observer (third process, no storage) waits until it has all
 *         10,000 from the server, so the server holds them. A new R process loads its documents
 *         from storage (`openMs`), then its WebSocket adapter is added: the clock runs from there
 *         until the 20 documents hold 10,000 messages.
 *
 *   BENCH_CATCHUP_MESSAGES (10000)  BENCH_CATCHUP_CONVS (20)
 *   BENCH_CATCHUP_PROFILE=DIR (a .cpuprofile of each reader's measured region; bench/cpuprofile.ts)
 *
 * Last line of stdout: JSON {"ours": {"catchUpMs": …}, "peer": {"catchUpMs": …}, "ratio": {"catchUp": peer/ours}}.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startServerProcess } from '../../tests/integration/helpers/serverProcess.js'
import { round, startWorker, waitReady, type Worker } from '../procs.js'

const MESSAGES = Number(process.env.BENCH_CATCHUP_MESSAGES ?? 10_000)
const CONVS = Number(process.env.BENCH_CATCHUP_CONVS ?? 20)
const PER_CONV = Math.floor(MESSAGES / CONVS)
if (!Number.isSafeInteger(CONVS) || CONVS < 1 || PER_CONV < 1) throw new Error('BENCH_CATCHUP_MESSAGES ≥ BENCH_CATCHUP_CONVS ≥ 1')
const TOTAL = PER_CONV * CONVS
const PROFILE_DIR = process.env.BENCH_CATCHUP_PROFILE ? resolve(process.env.BENCH_CATCHUP_PROFILE) : undefined
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true })

interface CatchUp {
  readonly catchUpMs: number
  /** The reader process's CPU time over the measure (user + system, all threads). */
  readonly cpuMs: number
  /** From the clock's start until the first message is readable. */
  readonly firstMs: number
  readonly openMs: number
  readonly readable: number
}

/** Every worker started, killed at the end whatever happens. */
const started: Worker[] = []

async function worker(script: string, argv: string[], env?: Record<string, string>): Promise<Worker> {
  // startWorker's fork inherits this process's environment.
  const saved = { ...process.env }
  Object.assign(process.env, env)
  const w = startWorker(script, argv)
  process.env = saved
  started.push(w)
  await waitReady(w)
  return w
}

async function close(w: Worker): Promise<void> {
  await w.call('close').catch(() => undefined)
  await w.kill()
}

const profile = (side: string) => (PROFILE_DIR ? { profile: join(PROFILE_DIR, `catchup-${side}-reader.cpuprofile`) } : {})

async function ours(work: string): Promise<CatchUp & { writeMs: number }> {
  const server = await startServerProcess({ dataDir: join(work, 'ours-server'), env: { LOG_LEVEL: 'warn' } })
  const script = 'bench/catchup/oursDevice.ts'
  const [wDir, rDir] = [join(work, 'ours-writer'), join(work, 'ours-reader')]
  try {
    const w = await worker(script, [server.url, 'Writer', wDir])
    const invites = await w.call<{ conv: string; link: string }[]>('create', { count: CONVS })
    let r = await worker(script, [server.url, 'Reader', rDir])
    const convs = await r.call<string[]>('join', { links: invites.map((i) => i.link) })
    await close(r)
    const { ms: writeMs } = await w.call<{ ms: number }>('write', { convs, perConv: PER_CONV })
    await close(w)
    console.log(`ours: ${TOTAL} messages written and on the server (${Math.round(writeMs)} ms); reader reconnects`)
    r = await worker(script, [server.url, 'Reader', rDir])
    const result = await r.call<CatchUp>('catchUp', { convs, perConv: PER_CONV, ...profile('ours') })
    await close(r)
    return { ...result, writeMs }
  } finally {
    await server.kill()
  }
}

async function peer(work: string): Promise<CatchUp & { writeMs: number }> {
  const serverDir = join(work, 'peer-server')
  mkdirSync(serverDir)
  const server = await worker('bench/peer-server.ts', [serverDir])
  const url = `ws://127.0.0.1:${await server.call<number>('port')}`
  const script = 'bench/catchup/peerDevice.ts'
  const rDir = join(work, 'peer-reader')
  try {
    const w = await worker(script, [url, 'Writer'])
    const urls = await w.call<string[]>('create', { count: CONVS })
    // The writer's new documents reach the server a moment after `create` answers: a reader that
    // asks first finds them unavailable (automerge-repo 2 rejects), so it asks again, fresh.
    for (let attempt = 1; ; attempt++) {
      const r = await worker(script, [url, 'Reader', rDir])
      try {
        await r.call('find', { urls })
        break
      } catch (err) {
        if (attempt >= 20) throw err
        await new Promise((resolve) => setTimeout(resolve, 250))
      } finally {
        await close(r)
      }
    }
    const started = performance.now()
    await w.call('write', { urls, perConv: PER_CONV })
    // The observer too may find a document unavailable under load: a fresh one asks again.
    for (let attempt = 1; ; attempt++) {
      const observer = await worker(script, [url, 'Observer'])
      try {
        await observer.call('watch', { urls, expected: TOTAL })
        break
      } catch (err) {
        if (attempt >= 20) throw new Error(`peer observer: ${String(err)}`)
      } finally {
        await close(observer)
      }
    }
    const writeMs = performance.now() - started
    await close(w)
    console.log(`peer: ${TOTAL} messages written and on the server (${Math.round(writeMs)} ms); reader reconnects`)
    const r = await worker(script, [url, 'Reader', rDir], { BENCH_PEER_OFFLINE_FIRST: '1' })
    const result = await r.call<CatchUp>('catchUp', { urls, expected: TOTAL, ...profile('peer') }).catch((err: unknown) => {
      throw new Error(`peer reader catching up: ${String(err)}`)
    })
    await close(r)
    return { ...result, writeMs }
  } finally {
    await server.kill()
  }
}

const work = mkdtempSync(join(tmpdir(), 'bench-catchup-'))
const loadBefore = loadavg()[0]!
try {
  const o = await ours(work)
  console.log(`ours: caught up in ${Math.round(o.catchUpMs)} ms`)
  const p = await peer(work)
  console.log(`peer: caught up in ${Math.round(p.catchUpMs)} ms`)
  const side = (s: CatchUp & { writeMs: number }) => ({ catchUpMs: round(s.catchUpMs), readerCpuMs: round(s.cpuMs), firstMs: round(s.firstMs), openMs: round(s.openMs), fromOpenMs: round(s.openMs + s.catchUpMs), readable: s.readable, setupWriteMs: round(s.writeMs) })
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      loadAverageAtStart: round(loadBefore, 2),
      messages: TOTAL,
      conversations: CONVS,
      ours: { system: 'fieldchat (encrypted, signed; SQLite stores)', ...side(o) },
      peer: { system: '@automerge/automerge-repo 2.5 WebSocket sync (plaintext; NodeFS storage)', ...side(p) },
      ratio: { catchUp: round(p.catchUpMs / o.catchUpMs, 2), readerCpu: round(p.cpuMs / o.cpuMs, 2) },
    }),
  )
} finally {
  await Promise.allSettled(started.map((w) => w.kill()))
  rmSync(work, { recursive: true, force: true })
}
process.exit(0)
