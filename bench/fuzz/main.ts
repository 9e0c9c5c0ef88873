/**
 * npm run fuzz -- --frames N [--seed S] [--json] [--concurrency C] [--phase deep|defaults] [--episode I] [--keep-data]
 *
 * The project's hostile-frame fuzzer (issue 9): starts the real sync server as a child process
 * and throws random, mutated, out-of-order, oversized, slow and flooding frames at it over many
 * connections, while a separate process measures crashes, stalls (/healthz or a paced ping over
 * 1 s), server RSS and rejections without a code. Progress goes to stderr; the last line of
 * stdout is the JSON report. Exit code 1 when crashes, stalls or uncoded rejections are > 0.
 * `--episode I` (or `sI`, the slow lane) with `--phase` replays one episode of a seed (findings
 * name them `phase#I:kind`); its frames are the same, keys and challenges are fresh.
 */
import { parseArgs } from 'node:util'
import { PHASES } from './phases.js'
import { buildReport, failed, summary } from './report.js'
import { runPhase, type PhaseResult } from './runner.js'

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '32' },
    phase: { type: 'string' },
    episode: { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
  },
})

const whole = (text: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}`)
    process.exit(2)
  }
  return n
}

const frames = whole(values.frames, 'frames', 1, 1e9)!
const seed = whole(values.seed, 'seed', 0, 0xffffffff) ?? (Date.now() ^ (process.pid << 16)) >>> 0
const concurrency = whole(values.concurrency, 'concurrency', 1, 256)!
const replay = values.episode === undefined ? undefined : /^(s?)(\d{1,9})$/.exec(values.episode)
if (values.episode !== undefined && !replay) {
  console.error('--episode must be an episode index, or s and an index for the slow lane (as findings name them)')
  process.exit(2)
}
const episode = replay ? { lane: replay[1] ? ('slow' as const) : ('main' as const), index: Number(replay[2]) } : undefined
const phases = PHASES.filter((p) => !values.phase || p.name === values.phase)
if (!phases.length || (episode !== undefined && phases.length !== 1)) {
  console.error(`--phase must be one of ${PHASES.map((p) => p.name).join(', ')} (and is needed with --episode)`)
  process.exit(2)
}

const started = performance.now()
const results: PhaseResult[] = []
const shares = phases.reduce((s, p) => s + p.share, 0)
let left = frames
for (const [i, phase] of phases.entries()) {
  const target = i === phases.length - 1 ? left : Math.round((frames * phase.share) / shares)
  left -= target
  const index = PHASES.indexOf(phase)
  process.stderr.write(`[${phase.name}] ${target.toLocaleString('en')} frames against ${phase.entry} (seed ${seed})\n`)
  results.push(await runPhase(phase, index, target, { frames: target, seed, concurrency, episode, keepData: values['keep-data'], progress: (line) => process.stderr.write(`${line}\n`) }))
}

const report = buildReport(results, seed, (performance.now() - started) / 1000)
if (!values.json) console.log(summary(report))
console.log(JSON.stringify(report))
process.exit(failed(report) ? 1 : 0)
