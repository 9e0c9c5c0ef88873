/**
 * npm run bench:open — P3 cold open: from opening the engine on an existing store
 * (`Messenger.opening`) to the newest 50 messages of one conversation readable: the saved newest
 * view read-only while the engine loads (`preview(conv)`, client/core [M13b], what the app paints
 * at launch), else `messages(conv)` holding ≥ 50 at one of its `messages` events after
 * `openConversation(conv)` (the saved view while the documents load, [M13a], or the loaded
 * window); the last one is checked to be the newest written. Beside it: `messengerOpenMs`, until
 * the engine is ready (`opening().messenger`, what `Messenger.open` returns: actions possible),
 * and `loadedMs`, until `openConversation` resolved (window loaded).
 * for conversations of 1,000, 10,000 and 100,000 messages, in Node (the CLI's SQLite store,
 * encrypted at rest) and in Chromium (the app's IndexedDB store under its device key).
 *
 * How the stores are made, once per run (the fastest honest path): one device (writer.ts) with a
 * CLI store, online through the real server, writes the conversation through the real send path
 * (`messenger.send`, batches of 1,000 concurrent sends) and waits until the server has every
 * message, so the outbox is empty as on a device in daily use. At each size the engine is stopped,
 * the store closed and its SQLite file copied. Node: each run opens a fresh copy in a fresh process
 * (nodeOpen.ts). Chromium: the copy's records, read through the at-rest layer (keys and values
 * in clear), are written through the app's own encrypted IndexedDB store in a fresh browser
 * profile (so the browser seals them with its own device key, as if the app had written them);
 * each run is then a new page. In both, Automerge's wasm is compiled when the module loads,
 * before the clock starts; `storeMs` (opening SQLite or IndexedDB and the at-rest key) is reported
 * beside the measure, not in it. The engine is never started (no network in the measure).
 *
 *   BENCH_OPEN_SIZES (1000,10000,100000)  BENCH_OPEN_RUNS (3: fresh opens per size and platform)
 *   BENCH_OPEN_CHROMIUM (1; 0 skips it)   BENCH_OPEN_PROFILE=DIR (a .cpuprofile of the first Node
 *   and the first Chromium open at the largest size, the latter through the DevTools protocol;
 *   open at the largest size: the measured region only; summarise with bench/cpuprofile.ts)
 *   BENCH_OPEN_KEEP=DIR (the generated stores are also copied there, with conv.json naming the
 *   conversation and the store key, to open them again by hand)
 *
 * Last line of stdout: JSON {"node": {"1000": ms, …}, "chromium": {…}, "ratio": {…}, …}; each
 * figure is the median of the runs (all runs are listed under `runs`). Nothing is asserted.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Entry } from '../../client/core/storage/LocalStore.js'
import { launchBrowser } from '../../tests/e2e/harness.js'
import { startServerProcess } from '../../tests/integration/helpers/serverProcess.js'
import { percentile, round, startWorker, waitReady } from '../procs.js'
import { buildPage, measureChromium } from './chromium.js'
import { messageText, openCliStore } from './cliStore.js'
import type { OpenTiming } from './nodeOpen.js'

const SIZES = (process.env.BENCH_OPEN_SIZES ?? '1000,10000,100000').split(',').map(Number).sort((a, b) => a - b)
if (!SIZES.length || SIZES.some((n) => !Number.isSafeInteger(n) || n < 50)) throw new Error('BENCH_OPEN_SIZES: message counts ≥ 50, comma-separated')
const RUNS = Number(process.env.BENCH_OPEN_RUNS ?? 3)
const CHROMIUM = process.env.BENCH_OPEN_CHROMIUM !== '0'
const PROFILE_DIR = process.env.BENCH_OPEN_PROFILE ? resolve(process.env.BENCH_OPEN_PROFILE) : undefined
const KEEP_DIR = process.env.BENCH_OPEN_KEEP ? resolve(process.env.BENCH_OPEN_KEEP) : undefined

const work = mkdtempSync(join(tmpdir(), 'bench-open-'))
const pageDir = join(work, 'page')
const loadBefore = loadavg()[0]!
const median = (xs: number[]) => round(percentile(xs, 50))
const copyStore = (from: string, to: string) => {
  for (const suffix of ['', '-wal', '-shm']) {
    rmSync(to + suffix, { force: true })
    if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix)
  }
}

function check(t: OpenTiming, size: number, where: string): void {
  if (t.newestText !== messageText(size - 1)) throw new Error(`${where} ${size}: the newest message read is not the newest written (${t.newestText})`)
}

try {
  if (CHROMIUM) await buildPage(pageDir)
  const server = await startServerProcess({ dataDir: join(work, 'server'), staticDir: pageDir, env: { LOG_LEVEL: 'warn' } })
  const snapshots = new Map<number, string>()
  const generation: Record<string, number> = {}
  const runs: Record<string, Record<string, OpenTiming[]>> = { node: {}, chromium: {} }
  let conv = ''
  let keyHex = ''
  try {
    mkdirSync(join(work, 'writer'))
    const writer = startWorker('bench/open/writer.ts', [server.url, join(work, 'writer')])
    try {
      await waitReady(writer)
      ;({ conv, keyHex } = await writer.call<{ conv: string; keyHex: string }>('init'))
      for (const size of SIZES) {
        const { ms } = await writer.call<{ ms: number }>('fill', { to: size })
        generation[size] = round(ms)
        console.log(`generated ${size} messages (+${Math.round(ms)} ms)`)
        const dest = join(work, `store-${size}.sqlite`)
        await writer.call('snapshot', { dest })
        snapshots.set(size, dest)
        if (KEEP_DIR) mkdirSync(KEEP_DIR, { recursive: true }), copyStore(dest, join(KEEP_DIR, `store-${size}.sqlite`))
      }
      await writer.call('stop').catch(() => undefined)
      if (KEEP_DIR) writeFileSync(join(KEEP_DIR, 'conv.json'), JSON.stringify({ conv, keyHex }))
    } finally {
      await writer.kill()
    }

    for (const size of SIZES) {
      const list: OpenTiming[] = (runs.node![size] = [])
      for (let r = 0; r < RUNS; r++) {
        const file = join(work, 'open.sqlite')
        copyStore(snapshots.get(size)!, file)
        const w = startWorker('bench/open/nodeOpen.ts')
        try {
          await waitReady(w)
          const profile = PROFILE_DIR && r === 0 && size === SIZES.at(-1) ? join(PROFILE_DIR, `open-node-${size}.cpuprofile`) : undefined
          if (profile) mkdirSync(PROFILE_DIR!, { recursive: true })
          const t = await w.call<OpenTiming>('open', { file, keyHex, conv, ...(profile ? { profile } : {}) })
          check(t, size, 'node')
          list.push(t)
        } finally {
          await w.kill()
        }
      }
      console.log(`node ${size}: ${list.map((t) => round(t.engineMs)).join(', ')} ms (Messenger.open ${list.map((t) => round(t.messengerOpenMs)).join(', ')}; window loaded ${list.map((t) => round(t.loadedMs)).join(', ')})`)
    }

    if (CHROMIUM) {
      const browser = await launchBrowser()
      try {
        for (const size of SIZES) {
          const file = join(work, 'read.sqlite')
          copyStore(snapshots.get(size)!, file)
          const store = await openCliStore(file, keyHex)
          const records: Entry[] = await store.range([])
          await store.close()
          const profile = PROFILE_DIR && size === SIZES.at(-1) ? join(PROFILE_DIR, `open-chromium-${size}.cpuprofile`) : undefined
          if (profile) mkdirSync(PROFILE_DIR!, { recursive: true })
          const { timings, loadMs } = await measureChromium(browser, `http://localhost:${server.port}/`, records, conv, RUNS, profile)
          for (const t of timings) check(t, size, 'chromium')
          runs.chromium![size] = timings
          console.log(`chromium ${size}: ${timings.map((t) => round(t.engineMs)).join(', ')} ms (Messenger.open ${timings.map((t) => round(t.messengerOpenMs)).join(', ')}; window loaded ${timings.map((t) => round(t.loadedMs)).join(', ')}; ${records.length} records loaded in ${Math.round(loadMs)} ms)`)
        }
      } finally {
        await browser.close()
      }
    }
  } finally {
    await server.kill()
  }

  const figures = (platform: string, pick: (t: OpenTiming) => number) =>
    Object.fromEntries(Object.entries(runs[platform]!).map(([size, ts]) => [size, median(ts.map(pick))]))
  const node = figures('node', (t) => t.engineMs)
  const chromium = figures('chromium', (t) => t.engineMs)
  const [small, large] = [String(SIZES[0]), String(SIZES.at(-1))]
  const over = (f: Record<string, number>) => (f[large] !== undefined && f[small] ? round(f[large]! / f[small]!, 2) : null)
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      loadAverageAtStart: round(loadBefore, 2),
      node,
      chromium,
      ratio: { chromium100kOver1k: over(chromium), node100kOver1k: over(node), of: `${large}/${small}`, chromiumOverNodeLargest: chromium[large] && node[large] ? round(chromium[large]! / node[large]!, 2) : null },
      storeMs: { node: figures('node', (t) => t.storeMs), chromium: figures('chromium', (t) => t.storeMs) },
      nodeCpuMs: figures('node', (t) => t.cpuMs ?? NaN),
      messengerOpenMs: { node: figures('node', (t) => t.messengerOpenMs), chromium: figures('chromium', (t) => t.messengerOpenMs) },
      previewMs: { node: figures('node', (t) => t.previewMs ?? NaN), chromium: figures('chromium', (t) => t.previewMs ?? NaN) },
      // Until openConversation resolved (the newest segment loaded), beside the measure (the newest 50 readable).
      loadedMs: { node: figures('node', (t) => t.loadedMs), chromium: figures('chromium', (t) => t.loadedMs) },
      runs: Object.fromEntries(Object.entries(runs).map(([p, bySize]) => [p, Object.fromEntries(Object.entries(bySize).map(([s, ts]) => [s, ts.map((t) => round(t.engineMs))]))])),
      generationMs: generation,
      runsPerSize: RUNS,
    }),
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exit(0)
