import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeviceIdentity } from './gen/device.js'
import { startWorker, waitReady } from '../procs.js'
import { MAIN_EPISODES, SLOW_EPISODE } from './episodes/index.js'
import type { EpisodeEnv } from './episodes/types.js'
import type { MonitorReport } from './report.js'
import type { Phase } from './phases.js'
import { episodeRng } from './rng.js'
import { startServerChild } from './serverChild.js'
import { Tally } from './tally.js'

export interface RunOptions {
  readonly frames: number
  readonly seed: number
  readonly concurrency: number
  /** Replay one episode of this phase (its lane and index, as findings name it: `#12` main, `#s12` slow) and nothing else. */
  readonly episode?: { lane: 'main' | 'slow'; index: number }
  readonly keepData: boolean
  readonly progress: (line: string) => void
}

export interface PhaseResult {
  readonly phase: Phase
  readonly tally: Tally
  readonly seconds: number
  readonly monitor: MonitorReport
  /** Connections the server still counted once the fuzzer had closed all of its own (the monitor's is one). */
  readonly connectionsAtEnd: number | undefined
  readonly fuzzerErrors: string[]
}

const SLOW_LANE = 6
const DEVICES = 48

/**
 * One phase: its own server process and data folder, the monitor process watching it, and two
 * lanes of episodes — the main lane (`concurrency` at once, until the phase's frames are sent)
 * and the slow lane (slow senders, which wait on the server's timers). Every episode draws from
 * its own generator (seed, phase, index), so an episode can be replayed alone.
 */
export async function runPhase(phase: Phase, phaseIndex: number, target: number, options: RunOptions): Promise<PhaseResult> {
  const dataDir = mkdtempSync(join(tmpdir(), `fieldchat-fuzz-${phase.name}-`))
  const tally = new Tally(phase.name)
  const fuzzerErrors: string[] = []
  let crashed = false
  const server = await startServerChild(phase.entry, join(dataDir, 'server'), {
    onCrash(detail) {
      tally.crashes++
      crashed = true
      tally.find('crash', detail)
    },
    onErrorLog(line) {
      tally.serverErrorLogs++
      if (tally.serverErrorLogs <= 5) tally.find('server-error-log', /"msg":"([^"]{0,200})/.exec(line)?.[1] ?? 'error-level log line')
    },
  })
  const monitor = startWorker('bench/fuzz/monitor.ts')
  await waitReady(monitor)
  await monitor.call('start', { httpUrl: server.httpUrl, wsUrl: server.wsUrl, pid: server.pid() })
  // The monitor's own connection is in; the server's footprint before the first hostile frame.
  await new Promise((r) => setTimeout(r, 1_000))

  let stopping = false
  const heavyMail = { left: Math.floor(target / 250_000) }
  const devices = Array.from({ length: DEVICES }, () => new DeviceIdentity())
  const env = (episode: string): EpisodeEnv => ({
    url: server.wsUrl,
    port: server.port,
    tally,
    episode,
    sent: { frames: 0 },
    peers: new Set(),
    devices,
    timers: phase.timers,
    preAuth: phase.preAuth,
    heavyMail,
    stopping: () => stopping || tally.frames >= target,
  })
  const started = performance.now()

  // Stalls are noted with the episodes running when the monitor reported them: the culprit is
  // most likely still waiting for its answer (replay each with --phase and --episode).
  const running = new Set<string>()
  const runningAtStall: string[][] = []
  const noteStalls = (m: MonitorReport) => {
    while (runningAtStall.length < m.stallLog.length) runningAtStall.push([...running].slice(0, 12))
  }
  const runEpisode = async (lane: 'main' | 'slow', index: number) => {
    const rng = episodeRng(options.seed, phaseIndex * 2 + (lane === 'slow' ? 1 : 0), index)
    const kind = lane === 'slow' ? 'slow' : rng.weighted(phase.weights)
    const name = `${phase.name}#${lane === 'slow' ? 's' : ''}${index}:${kind}`
    const e = env(name)
    const t0 = performance.now()
    running.add(name)
    try {
      await (lane === 'slow' ? SLOW_EPISODE : MAIN_EPISODES[kind]!)(rng, e)
    } catch (err) {
      // A fuzzer bug, not a server finding: reported apart so it is never mistaken for either.
      if (fuzzerErrors.length < 20) fuzzerErrors.push(`${name}: ${(err as Error).stack?.split('\n').slice(0, 3).join(' | ')}`)
    } finally {
      for (const peer of [...e.peers]) await peer.abandon()
      running.delete(name)
    }
    if (process.env.FUZZ_DEBUG) options.progress(`${name}: ${e.sent.frames} frames in ${Math.round(performance.now() - t0)} ms`)
    const k = (tally.episodes[kind] ??= { n: 0, frames: 0, seconds: 0 })
    k.n++
    k.frames += e.sent.frames
    k.seconds = Math.round((k.seconds + (performance.now() - t0) / 1000) * 10) / 10
  }

  const progress = setInterval(() => {
    void monitor.call<MonitorReport>('status').then((m) => {
      noteStalls(m)
      const s = (performance.now() - started) / 1000
      options.progress(
        `[${phase.name}] ${tally.frames.toLocaleString('en')}/${target.toLocaleString('en')} frames, ${tally.connections.toLocaleString('en')} connections, ` +
          `${Math.round(tally.frames / s).toLocaleString('en')} frames/s, crashes ${tally.crashes}, stalls ${m.healthStalls + m.pingStalls} (health max ${Math.round(m.maxHealthMs)} ms, ping max ${Math.round(m.maxPingMs)} ms), ` +
          `uncoded ${tally.uncoded}, hung ${tally.hung}, rss ${Math.round(m.rssNowMiB)} MiB (peak ${Math.round(m.rssPeakMiB)})`,
      )
    }, () => undefined)
  }, 2_000)

  const restartIfCrashed = async () => {
    if (!crashed) return
    crashed = false
    await server.restart()
    await monitor.call('pid', { pid: server.pid() })
  }

  const mainLane = async () => {
    if (options.episode) return runEpisode(options.episode.lane, options.episode.index)
    const running = new Set<Promise<void>>()
    for (let i = 0; tally.frames < target; i++) {
      await restartIfCrashed()
      const p = runEpisode('main', i).finally(() => running.delete(p))
      running.add(p)
      if (running.size >= options.concurrency) await Promise.race(running)
    }
    await Promise.all(running)
  }
  const slowLane = async () => {
    if (options.episode) return
    const running = new Set<Promise<void>>()
    for (let j = 0; !stopping; j++) {
      const p = runEpisode('slow', j).finally(() => running.delete(p))
      running.add(p)
      while (running.size >= SLOW_LANE && !stopping) await Promise.race([...running, new Promise((r) => setTimeout(r, 250))])
      await new Promise((r) => setTimeout(r, 200))
    }
    await Promise.all(running)
  }

  const slowDone = slowLane()
  await mainLane()
  stopping = true
  await slowDone
  clearInterval(progress)
  const seconds = (performance.now() - started) / 1000

  // RSS at the end is read after every fuzzing connection is gone (closes, terminations after the grace time).
  const connectionsAtEnd = await settle(server.httpUrl, phase.timers.closeGraceMs + 5_000)
  await new Promise((r) => setTimeout(r, 2_000))
  const report = await monitor.call<MonitorReport>('stop')
  tally.stalls = report.healthStalls + report.pingStalls
  noteStalls(report)
  report.stallLog.forEach((s, i) => {
    tally.find(s.starved ? 'starved' : 'stall', `${s.kind} answered after ${s.ms} ms, ${s.at} s into the phase (load ${s.load}; in the 2 s before, the server ran ${s.serverRanMs} ms and waited ${s.serverWaitedMs} ms for a CPU; the monitor's own timer lag ${s.monitorLagMs} ms); running then: ${runningAtStall[i]!.join(', ')}`)
  })
  await monitor.kill()
  await server.stop()
  if (!options.keepData) rmSync(dataDir, { recursive: true, force: true })
  else options.progress(`[${phase.name}] data kept in ${dataDir}`)
  return { phase, tally, seconds, monitor: report, connectionsAtEnd, fuzzerErrors }
}

/** Waits until the server counts only the monitor's connection; returns the last count seen. */
async function settle(httpUrl: string, ms: number): Promise<number | undefined> {
  const deadline = performance.now() + ms
  let count: number | undefined
  while (performance.now() < deadline) {
    try {
      const body: unknown = await (await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(5_000) })).json()
      const n = typeof body === 'object' && body !== null && 'connections' in body ? body.connections : undefined
      count = typeof n === 'number' ? n : undefined
      if (count !== undefined && count <= 1) return count
    } catch {
      return count
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return count
}
