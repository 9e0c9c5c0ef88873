/**
 * npm run bench:files — one file from one CLI device to another through the sync server (issue
 * 10's measurement), against a floor in the same run, at each size of BENCH_FILES_SIZES (MiB,
 * default 100,1024):
 *
 *   ours   `send-file` on the sender (start, seal for the hash and tags, upload to the blob store
 *          sealing again from the file — no sealed copy in the spool, client/core [A2] —
 *          write and deliver the message), then `get-file` on the receiver (start, sync, stream
 *          the sealed chunks, open, hash and check, write, fsync, rename): from the first's spawn
 *          to the second's exit. A fresh server (SQLite, blobs on disk) and two fresh CLI homes per
 *          size; the conversation is set up before the clock starts.
 *   floor  the same bytes PUT then GET over loopback to a plain Node `http` server streaming to
 *          and from disk (floor.ts), client and server each their own process, PUT + GET time.
 *
 * Throughput is file bytes / seconds, MB = 10^6 bytes. Each process's peak resident memory is
 * the kernel's high-water mark (VmHWM, and maxRSS the CLI reports as it exits: rss.ts), in MiB;
 * rssGrowth is the process with the largest peak at the largest size, its peak there over its
 * peak at the smallest (per process beside it). The received file's SHA-256 must equal the
 * source's or the bench fails. The source is random bytes streamed to disk, never whole in memory.
 * Each process's CPU time (user and system) is reported beside its memory. Before each side the
 * machine's dirty pages are written out (`sync`): on this VM, writing into the page cache while a
 * GiB or more waits to be written back costs up to ten times the CPU (README "Files", run 21),
 * so neither side pays for the other's or the source's unwritten pages.
 *
 * Each size is measured in BENCH_FILES_ROUNDS rounds (3), the two sides taking turns to go first
 * (floor then ours, ours then floor, …): the floor's time moves 2× with whether its writes find
 * memory the VM has touched before (README "Files", runs 21–24), and one pair measured in a fixed
 * order compares one state of the machine against another. A size's figures are each side's
 * median round (its time, and that round's details); peak RSS is the highest of every round; the
 * ratio is the floor's median time over ours, with each round's own ratio beside it.
 *
 *   BENCH_FILES_SIZES (100,1024)   BENCH_FILES_ROUNDS (3)   BENCH_CPU_PROF=DIR (V8 CPU profiles of both CLIs and the server)
 *   BENCH_FILES_TIMELINE=1 (when each progress line of both CLIs came, on stderr)
 *   BENCH_FILES_LOG_LEVEL (warn; the server's, whose tail is shown when a transfer fails or stalls:
 *   a CLI silent for 120 s is killed)
 *
 * Last line of stdout: JSON.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { round } from '../procs.js'
import { bundleCli } from '../../client/cli/bundle.mjs'
import { bundle } from './bundle.js'
import { measureFloor, type FloorResult } from './floorSide.js'
import { measureOurs, type OursResult } from './oursSide.js'
import type { CpuMs } from './rss.js'
import { writeRandomFile } from './testFile.js'

const SIZES_MIB = (process.env.BENCH_FILES_SIZES ?? '100,1024').split(',').map(Number)
if (!SIZES_MIB.length || SIZES_MIB.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 2048)) throw new Error('BENCH_FILES_SIZES: MiB from 1 to 2048, comma-separated')
const ROUNDS = Number(process.env.BENCH_FILES_ROUNDS ?? 3)
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) throw new Error('BENCH_FILES_ROUNDS: 1 to 20')
const CPU_PROF = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined

const mbPerSecond = (bytes: number, ms: number) => round(bytes / 1e6 / (ms / 1000))
const cpu = (o: Record<string, CpuMs | undefined>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v && { user: round(v.user), system: round(v.system) }]))
const rss = <T extends Record<string, number>>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)])) as T

interface Round {
  readonly ours: OursResult
  readonly floor: FloorResult
}

interface SizeResult {
  readonly bytes: number
  readonly rounds: readonly Round[]
  /** The round whose time is each side's median. */
  readonly ours: OursResult
  readonly floor: FloorResult
  /** The highest peak of each process over every round. */
  readonly oursPeakRssMb: OursResult['peakRssMb']
  readonly floorPeakRssMb: FloorResult['peakRssMb']
}

const medianBy = <T>(xs: readonly T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor((xs.length - 1) / 2)]!
const highest = <T extends Record<string, number>>(xs: readonly T[]): T =>
  Object.fromEntries(Object.keys(xs[0]!).map((k) => [k, Math.max(...xs.map((x) => x[k]!))])) as T

// The CLI as `npm run cli` starts it: one bundle, run with a code cache that the devices' set-up writes.
const cliJs = await bundleCli(join(process.cwd(), 'node_modules', '.cache', 'fieldchat-bench-files', 'cli'))
const floorJs = await bundle('bench/files/floor.ts', 'floor')
const loadBefore = loadavg()[0]!
const results: SizeResult[] = []
for (const mib of SIZES_MIB) {
  const bytes = mib * 1024 * 1024
  const work = mkdtempSync(join(tmpdir(), 'bench-files-'))
  try {
    const source = join(work, 'source.bin')
    const sha256 = await writeRandomFile(source, bytes)
    const rounds: Round[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const floorSide = async () => {
        execFileSync('sync') // the source's and the other side's pages are written back before this side starts
        const floor = await measureFloor(floorJs, source, sha256, work)
        console.log(`${mib} MiB round ${r + 1} floor: ${mbPerSecond(bytes, floor.ms)} MB/s (PUT ${round(floor.putMs)} ms, GET ${round(floor.getMs)} ms), peak RSS ${JSON.stringify(rss(floor.peakRssMb))}`)
        return floor
      }
      const oursSide = async () => {
        execFileSync('sync')
        const ours = await measureOurs(cliJs, source, sha256, work, CPU_PROF)
        console.log(`${mib} MiB round ${r + 1} ours: ${mbPerSecond(bytes, ours.ms)} MB/s (send-file ${round(ours.sealUploadMs)} ms, get-file ${round(ours.downloadMs)} ms), peak RSS ${JSON.stringify(rss(ours.peakRssMb))}`)
        return ours
      }
      if (r % 2 === 0) {
        const floor = await floorSide()
        rounds.push({ floor, ours: await oursSide() })
      } else {
        const ours = await oursSide()
        rounds.push({ ours, floor: await floorSide() })
      }
    }
    results.push({
      bytes,
      rounds,
      ours: medianBy(rounds, (x) => x.ours.ms).ours,
      floor: medianBy(rounds, (x) => x.floor.ms).floor,
      oursPeakRssMb: highest(rounds.map((x) => x.ours.peakRssMb)),
      floorPeakRssMb: highest(rounds.map((x) => x.floor.peakRssMb)),
    })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const smallest = results[0]!
const largest = results.at(-1)!
const growth = Object.fromEntries(
  (['sender', 'server', 'receiver'] as const).map((p) => [p, round(largest.oursPeakRssMb[p] / smallest.oursPeakRssMb[p], 2)]),
) as Record<'sender' | 'server' | 'receiver', number>
const biggest = (['sender', 'server', 'receiver'] as const).reduce((a, b) => (largest.oursPeakRssMb[b] > largest.oursPeakRssMb[a] ? b : a))
const oursSummary = (r: SizeResult) => ({
  mbPerSecond: mbPerSecond(r.bytes, r.ours.ms),
  ms: round(r.ours.ms),
  sealUploadMs: round(r.ours.sealUploadMs),
  firstProgressMs: round(r.ours.firstProgressMs),
  downloadMs: round(r.ours.downloadMs),
  uploadMbPerSecond: mbPerSecond(r.bytes, r.ours.sealUploadMs),
  downloadMbPerSecond: mbPerSecond(r.bytes, r.ours.downloadMs),
})
const floorSummary = (r: SizeResult) => ({
  mbPerSecond: mbPerSecond(r.bytes, r.floor.ms),
  ms: round(r.floor.ms),
  putMs: round(r.floor.putMs),
  getMs: round(r.floor.getMs),
})
console.log(
  JSON.stringify({
    date: new Date().toISOString(),
    loadAverageAtStart: round(loadBefore, 2),
    rounds: ROUNDS,
    ours: { bytes: largest.bytes, ...oursSummary(largest) },
    floor: { bytes: largest.bytes, ...floorSummary(largest) },
    sizes: results.map((r) => ({
      bytes: r.bytes,
      peakRssMb: rss(r.oursPeakRssMb),
      ours: { ...oursSummary(r), cpuMs: cpu(r.ours.cpuMs) },
      floor: { ...floorSummary(r), peakRssMb: rss(r.floorPeakRssMb), cpuMs: cpu(r.floor.cpuMs) },
      throughputRatio: round(r.ours.ms > 0 ? r.floor.ms / r.ours.ms : NaN, 3),
      rounds: r.rounds.map((x, i) => ({ first: i % 2 === 0 ? 'floor' : 'ours', oursMs: round(x.ours.ms), floorMs: round(x.floor.ms), floorGetMs: round(x.floor.getMs), ratio: round(x.floor.ms / x.ours.ms, 3) })),
    })),
    ratio: { throughput: round(largest.floor.ms / largest.ours.ms, 3), rssGrowth: growth[biggest], rssGrowthProcess: biggest, rssGrowthByProcess: growth },
  }),
)
