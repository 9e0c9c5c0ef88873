import type { PhaseResult } from './runner.js'

import type { StallEntry } from './monitor.js'

/** What the monitor process reports (monitor.ts). */
export interface MonitorReport {
  healthProbes: number
  healthStalls: number
  healthFailures: number
  maxHealthMs: number
  pings: number
  pingStalls: number
  starvedStalls: number
  maxPingMs: number
  pingP50Ms: number
  pingP99Ms: number
  pingDisconnects: number
  rssStartMiB: number
  rssPeakMiB: number
  rssNowMiB: number
  maxMonitorLagMs: number
  stallLog: StallEntry[]
}

const round1 = (n: number) => Math.round(n * 10) / 10

function add(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
  return into
}

/**
 * The run's JSON (the last line of stdout). The fields the issue names come first; RSS is the
 * phase whose server grew most from start to end (`rssPhase`), each phase's own figures follow.
 */
export function buildReport(results: readonly PhaseResult[], seed: number, seconds: number) {
  const sum = (f: (r: PhaseResult) => number) => results.reduce((s, r) => s + f(r), 0)
  const worst = [...results].sort((a, b) => b.monitor.rssNowMiB - b.monitor.rssStartMiB - (a.monitor.rssNowMiB - a.monitor.rssStartMiB))[0]
  const findings = results.flatMap((r) => r.tally.findings)
  return {
    frames: sum((r) => r.tally.frames),
    connections: sum((r) => r.tally.connections),
    seconds: round1(seconds),
    seed,
    crashes: sum((r) => r.tally.crashes),
    stalls: sum((r) => r.tally.stalls),
    maxHealthMs: round1(Math.max(0, ...results.map((r) => r.monitor.maxHealthMs))),
    rssStartMiB: round1(worst?.monitor.rssStartMiB ?? 0),
    rssPeakMiB: round1(worst?.monitor.rssPeakMiB ?? 0),
    rssEndMiB: round1(worst?.monitor.rssNowMiB ?? 0),
    uncoded: sum((r) => r.tally.uncoded),
    rejectionsByCode: results.reduce((acc, r) => add(acc, r.tally.rejectionsByCode), {} as Record<string, number>),
    closesByCode: results.reduce((acc, r) => add(acc, r.tally.closesByCode), {} as Record<string, number>),
    rssPhase: worst?.phase.name,
    /** ws's own closes for broken framing (1002, 1007, 1009): counted apart, never uncoded when the episode broke the framing on purpose. */
    wsLevelCloses: results.reduce((acc, r) => add(acc, r.tally.wsLevelCloses), {} as Record<string, number>),
    ackCodes: results.reduce((acc, r) => add(acc, r.tally.ackCodes), {} as Record<string, number>),
    httpOutcomes: results.reduce((acc, r) => add(acc, r.tally.httpOutcomes), {} as Record<string, number>),
    fuzzerCloses: sum((r) => r.tally.fuzzerCloses),
    hung: sum((r) => r.tally.hung),
    kept: sum((r) => r.tally.kept),
    invalidServerFrames: sum((r) => r.tally.invalidServerFrames),
    connectFailures: sum((r) => r.tally.connectFailures),
    serverErrorLogs: sum((r) => r.tally.serverErrorLogs),
    fuzzerErrors: results.flatMap((r) => r.fuzzerErrors),
    phases: results.map((r) => ({
      name: r.phase.name,
      frames: r.tally.frames,
      connections: r.tally.connections,
      seconds: round1(r.seconds),
      framesPerSecond: Math.round(r.tally.frames / r.seconds),
      crashes: r.tally.crashes,
      healthStalls: r.monitor.healthStalls,
      pingStalls: r.monitor.pingStalls,
      starvedStalls: r.monitor.starvedStalls,
      healthProbes: r.monitor.healthProbes,
      healthFailures: r.monitor.healthFailures,
      maxHealthMs: round1(r.monitor.maxHealthMs),
      pingP50Ms: r.monitor.pingP50Ms,
      pingP99Ms: r.monitor.pingP99Ms,
      maxPingMs: round1(r.monitor.maxPingMs),
      maxMonitorLagMs: r.monitor.maxMonitorLagMs,
      pingDisconnects: r.monitor.pingDisconnects,
      rssStartMiB: round1(r.monitor.rssStartMiB),
      rssPeakMiB: round1(r.monitor.rssPeakMiB),
      rssEndMiB: round1(r.monitor.rssNowMiB),
      connectionsAtEnd: r.connectionsAtEnd,
      episodes: r.tally.episodes,
      findingsDropped: r.tally.findingsDropped,
    })),
    findings,
  }
}

export type Report = ReturnType<typeof buildReport>

/** Fails the run: a crash, a stall, or a rejection without a code. */
export const failed = (r: Report) => r.crashes > 0 || r.stalls > 0 || r.uncoded > 0

export function summary(r: Report): string {
  const lines = [
    `fuzz: ${r.frames.toLocaleString('en')} frames over ${r.connections.toLocaleString('en')} connections in ${r.seconds} s (seed ${r.seed})`,
    `  crashes ${r.crashes}, stalls ${r.stalls} (health max ${r.maxHealthMs} ms), uncoded ${r.uncoded}, hung ${r.hung}, kept ${r.kept}, invalid server frames ${r.invalidServerFrames}`,
    `  server RSS (${r.rssPhase}): ${r.rssStartMiB} MiB at start, ${r.rssPeakMiB} MiB peak, ${r.rssEndMiB} MiB after the fuzzer's connections closed`,
    `  rejections by code ${JSON.stringify(r.rejectionsByCode)}; closes by code ${JSON.stringify(r.closesByCode)} (ws-level ${JSON.stringify(r.wsLevelCloses)})`,
  ]
  for (const f of r.findings.slice(0, 10)) lines.push(`  finding ${f.kind} [${f.episode ?? f.phase}]: ${f.detail.split('\n')[0]}${f.lastFramesHex?.length ? ` — last frame ${f.lastFramesHex.at(-1)!.slice(0, 120)}` : ''}`)
  return lines.join('\n')
}
