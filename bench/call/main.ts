/**
 * npm run bench:call — calls in the built PWA (run `npm run build` first) in Debian's Chromium
 * with its fake camera and microphone, through the real sync server on 127.0.0.1:
 *
 * - set-up time, from pressing "Video call" to the first remote video frame presented on the
 *   caller's screen, the callee accepting at once: BENCH_CALL_RUNS calls (default 20) direct,
 *   and as many relayed through Debian's coturn (relayed candidates only; skipped without coturn);
 * - CPU per participant of a four-way video mesh (cameras at 320×240, 15 frames/s, so that the
 *   mesh does not saturate two cores) over BENCH_CALL_CPU_SECONDS (default 15), the
 *   whole browser's CPU time (renderers, GPU, network and media threads) divided by four: with the
 *   app's frame encryption (crypto [X2]), without it (the bench detaches the transforms), and,
 *   unless BENCH_CALL_COPY=0, with the app's transforms replaced by one that only copies each
 *   frame into a new buffer (people.ts): the cost of any transform that alters frames, the floor
 *   under frame encryption in this browser.
 *
 * JSON last on stdout: {"direct": {"setupMsP50", "setupMsP99"}, "relay": {…}, "cpu":
 * {"withFrameEncryption", "without", "copyTransform"} (percent of one core per participant; and
 * frames decoded per second), "ratio": {"frameEncryptionOverhead": with/without,
 * "frameEncryptionOverheadPerFrame", "copyTransformOverhead": copy/without (the floor),
 * "frameEncryptionOverCopy": with/copy}}. Targets: set-up p50 ≤ 500 ms on loopback; overhead ≤ 10%.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { startCoturn, turnBinary, type Coturn } from '../../tests/helpers/coturnProcess.js'
import { startSyncServer } from '../files/syncServer.js'
import { received } from '../../tests/helpers/callPages.js'
import { treeCpuMs } from './cpu.js'
import { percentile, setupMs } from './measure.js'
import { autoAccept, benchPerson, conversation, type BenchPerson, type PersonOptions } from './people.js'

const ROOT = resolve(import.meta.dirname, '../..')
const DIST = join(ROOT, 'dist')
const RUNS = Number(process.env.BENCH_CALL_RUNS ?? 20)
const CPU_SECONDS = Number(process.env.BENCH_CALL_CPU_SECONDS ?? 15)
/**
 * Each kind of mesh (sealed, plain, copy) measured this many times, each round in another order
 * (sealed plain copy, plain copy sealed, copy sealed plain, …): one pair of 15 s windows moved by
 * more than the difference.
 */
const CPU_ROUNDS = Number(process.env.BENCH_CALL_CPU_ROUNDS ?? 3)
const COPY = process.env.BENCH_CALL_COPY !== '0'
/** BENCH_CALL_SETUP=0 measures CPU only (no set-up runs). */
const SETUP = process.env.BENCH_CALL_SETUP !== '0'
const SECRET = 'bench-call-turn-secret'
const PAUSE_MS = 2_500

async function setupTimes(browser: Browser, url: string, opts: PersonOptions, title: string): Promise<{ setupMsP50: number; setupMsP99: number; runs: number[] }> {
  const [ann, bruno] = await Promise.all(['Ann', 'Bruno'].map((n) => benchPerson(browser, n, url, opts)))
  await conversation(ann!, [bruno!], title)
  await autoAccept(bruno!)
  await setupMs(ann!, bruno!) // a first call warms the page (worker, codecs), not counted
  const runs: number[] = []
  for (let i = 0; i < RUNS; i++) {
    // A call takes about a dozen signals each way; back to back they would run into each device's
    // signal pace (client/core [M57]: 8 a second, 16 at once), which no person calling does.
    await new Promise((r) => setTimeout(r, PAUSE_MS))
    runs.push(Math.round(await setupMs(ann!, bruno!)))
  }
  await Promise.all([ann!, bruno!].map((p) => p.context.close()))
  return { setupMsP50: percentile(runs, 50), setupMsP99: percentile(runs, 99), runs }
}

const decodedFrames = async (p: BenchPerson) => (await received(p.page)).frames
const audioPackets = async (p: BenchPerson) => (await received(p.page)).audioPackets
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

/**
 * A four-way mesh held for CPU_SECONDS: percent of one core per participant, and video frames
 * decoded per second per participant (on two cores the mesh saturates the machine and the
 * encoders scale down, so CPU alone does not compare: per frame does).
 */
async function meshCpu(browser: Browser, url: string, serverPid: number, opts: PersonOptions, title: string): Promise<{ percent: number; framesPerSecond: number; audioPacketsPerSecond: number }> {
  const people = await Promise.all(['Ann', 'Bo', 'Cy', 'Di'].map((n) => benchPerson(browser, n, url, opts)))
  const [ann, ...others] = people as [BenchPerson, ...BenchPerson[]]
  await conversation(ann, others, title)
  for (const p of others) await autoAccept(p)
  await ann.page.getByRole('button', { name: 'Video call', exact: true }).click()
  // Every participant decodes its three links.
  for (const p of people) {
    for (const deadline = Date.now() + 90_000; (await received(p.page)).decodingLinks < 3; await new Promise((r) => setTimeout(r, 500))) {
      if (Date.now() > deadline) throw new Error(`${p.name} does not decode three links`)
    }
  }
  const outside = () => treeCpuMs(serverPid) + (process.cpuUsage().user + process.cpuUsage().system) / 1000
  const framesBefore = sum(await Promise.all(people.map(decodedFrames)))
  const packetsBefore = sum(await Promise.all(people.map(audioPackets)))
  const before = treeCpuMs(process.pid) - outside()
  await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000))
  const used = treeCpuMs(process.pid) - outside() - before
  const frames = sum(await Promise.all(people.map(decodedFrames))) - framesBefore
  const packets = sum(await Promise.all(people.map(audioPackets))) - packetsBefore
  await Promise.all(people.map((p) => p.context.close()))
  return { percent: Math.round((used / (CPU_SECONDS * 1000) / people.length) * 1000) / 10, framesPerSecond: Math.round((frames / CPU_SECONDS / people.length) * 10) / 10, audioPacketsPerSecond: Math.round((packets / CPU_SECONDS / people.length) * 10) / 10 }
}

async function main(): Promise<void> {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/ is missing: run `npm run build` first')
  const loadAverageAtStart = loadavg()[0]
  const data = mkdtempSync(join(tmpdir(), 'bench-call-'))
  let coturn: Coturn | undefined
  if (turnBinary) coturn = await startCoturn(SECRET)
  else console.error('coturn (turnserver) is not installed: the relay runs are skipped')
  const server = await startSyncServer(data, [], { staticDir: DIST, env: coturn ? { TURN_URL: coturn.url, TURN_SECRET: SECRET } : {} })
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  })
  try {
    const url = `${server.http}/`
    const direct = SETUP ? await setupTimes(browser, url, {}, 'Direct') : undefined
    if (direct) console.error(`direct set-up: p50 ${direct.setupMsP50} ms, p99 ${direct.setupMsP99} ms (${direct.runs.join(' ')})`)
    const relay = coturn && SETUP ? await setupTimes(browser, url, { relayOnly: true }, 'Relayed') : undefined
    if (relay) console.error(`relayed set-up: p50 ${relay.setupMsP50} ms, p99 ${relay.setupMsP99} ms (${relay.runs.join(' ')})`)
    type Mesh = Awaited<ReturnType<typeof meshCpu>>
    type Kind = 'sealed' | 'plain' | 'copy'
    const kinds: Kind[] = COPY ? ['sealed', 'plain', 'copy'] : ['sealed', 'plain']
    const options: Record<Kind, PersonOptions> = { sealed: { smallVideo: true }, plain: { smallVideo: true, noFrameEncryption: true }, copy: { smallVideo: true, copyTransform: true } }
    const meshes: Record<Kind, Mesh[]> = { sealed: [], plain: [], copy: [] }
    for (let i = 0; i < CPU_ROUNDS; i++) {
      const order = kinds.map((_, k) => kinds[(k + i) % kinds.length]!)
      for (const kind of order) {
        const m = await meshCpu(browser, url, server.pid, options[kind], `Mesh ${kind} ${i}`)
        meshes[kind].push(m)
        console.error(`four-way mesh ${kind} ${i}, per participant: ${m.percent}% of a core, ${m.framesPerSecond} frames/s decoded, ${m.audioPacketsPerSecond} audio packets/s`)
      }
    }
    const { sealed, plain, copy } = meshes
    const mean = (ms: Mesh[], f: (m: Mesh) => number) => Math.round((sum(ms.map(f)) / ms.length) * 10) / 10
    const pooled = (ms: Mesh[]): Mesh => ({ percent: mean(ms, (m) => m.percent), framesPerSecond: mean(ms, (m) => m.framesPerSecond), audioPacketsPerSecond: mean(ms, (m) => m.audioPacketsPerSecond) })
    const withFrameEncryption = pooled(sealed)
    const without = pooled(plain)
    const copied = copy.length ? pooled(copy) : undefined
    const ratio3 = (a: number, b: number) => Math.round((a / b) * 1000) / 1000
    const perFrame = (m: { percent: number; framesPerSecond: number }) => m.percent / m.framesPerSecond
    const result = {
      date: new Date().toISOString(),
      loadAverageAtStart,
      direct: direct ? { setupMsP50: direct.setupMsP50, setupMsP99: direct.setupMsP99, runs: direct.runs.length } : null,
      relay: relay ? { setupMsP50: relay.setupMsP50, setupMsP99: relay.setupMsP99, runs: relay.runs.length } : null,
      cpu: {
        withFrameEncryption: withFrameEncryption.percent,
        without: without.percent,
        copyTransform: copied?.percent ?? null,
        unit: 'percent of one core per participant',
        framesPerSecond: { withFrameEncryption: withFrameEncryption.framesPerSecond, without: without.framesPerSecond, copyTransform: copied?.framesPerSecond ?? null },
        audioPacketsPerSecond: { withFrameEncryption: withFrameEncryption.audioPacketsPerSecond, without: without.audioPacketsPerSecond, copyTransform: copied?.audioPacketsPerSecond ?? null },
        rounds: CPU_ROUNDS,
        overheadPerRound: sealed.map((m, i) => ratio3(m.percent, plain[i]!.percent)),
        copyOverheadPerRound: copy.map((m, i) => ratio3(m.percent, plain[i]!.percent)),
      },
      ratio: {
        frameEncryptionOverhead: ratio3(withFrameEncryption.percent, without.percent),
        frameEncryptionOverheadPerFrame: ratio3(perFrame(withFrameEncryption), perFrame(without)),
        copyTransformOverhead: copied ? ratio3(copied.percent, without.percent) : null,
        frameEncryptionOverCopy: copied ? ratio3(withFrameEncryption.percent, copied.percent) : null,
      },
    }
    console.log(JSON.stringify(result))
  } finally {
    await browser.close()
    await server.stop()
    await coturn?.stop()
    rmSync(data, { recursive: true, force: true })
  }
}

await main()
