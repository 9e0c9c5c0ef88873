import { statSync } from 'node:fs'
import { join } from 'node:path'
import { generateDeviceKeys } from '../../../crypto/index.js'
import type { BundledServer } from './bundledServer.js'
import { CrashLedger } from './crashLedger.js'
import { crashRoom } from './crashRoom.js'
import { SteadyPusher, type PusherPace } from './steadyPusher.js'
import { auditStore } from './storeAuditor.js'

/** A small seeded PRNG (mulberry32): the same seed gives the same kill schedule and push pattern. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * When a kill lands, from the moment the devices may connect again:
 * - `handshake`: 0–15 ms, while devices connect, authenticate, join and resend what is in doubt;
 * - `timer`: 15–300 ms, anywhere in the steady stream;
 * - `ack`: synchronously on receiving the k-th acknowledgement (k 1–50): the devices keep up to
 *   three pushes in flight, so the server is then verifying, committing or acknowledging the next.
 */
export type KillMoment = 'handshake' | 'timer' | 'ack'

export interface CrashLoopOptions {
  readonly kills: number
  readonly seed: number
  readonly devices: number
  readonly pace: PusherPace
  /** The SQLite file whose -wal is measured after each kill (absent for PostgreSQL). */
  readonly sqliteFile?: string
}

export interface CrashLoopResult {
  readonly ledger: CrashLedger
  readonly kills: number
  readonly moments: Record<KillMoment, number>
  /** `ack` kills whose k-th ack never came within 3 s (killed then anyway). */
  readonly ackWaitsTimedOut: number
  /** Kills after which the SQLite file had a non-empty WAL for the restart to recover. */
  readonly walLeft: number
  readonly walMaxBytes: number
  readonly restartMs: { readonly mean: number; readonly max: number }
  /** Where the loop's time went, in seconds: pushing until the kill, the kill and the devices seeing it, restarts, audits. */
  readonly phaseSeconds: { readonly load: number; readonly down: number; readonly restart: number; readonly audit: number }
  readonly connections: number
  readonly failedConnects: number
  readonly envelopesAudited: number
  /** Devices that still had unacknowledged envelopes when the drain gave up (empty when all drained). */
  readonly stuck: readonly string[]
  readonly final: { readonly documents: number; readonly envelopes: number }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Several devices push steadily into two conversations of two documents each; `kills` times
 * the server is killed with SIGKILL at a seeded random moment, restarted on the same data and
 * port, its store audited before anyone pushes again, and the devices let back in. At the end
 * the devices resend whatever is in doubt until all is acknowledged, and the whole store is read
 * again from sseq 1. Findings are in `ledger.problems`; the caller asserts.
 */
export async function runCrashLoop(server: BundledServer, options: CrashLoopOptions): Promise<CrashLoopResult> {
  const random = seededRandom(options.seed)
  const ledger = new CrashLedger()
  const keys = Array.from({ length: options.devices }, () => generateDeviceKeys())
  const rooms = [crashRoom(keys[0]!, 2), crashRoom(keys[1 % keys.length]!, 2)]
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
  const devices = keys.map((k, i) => new SteadyPusher(names[i] ?? `device${i}`, k, rooms, ledger, options.pace, seededRandom(options.seed + 1 + i)))
  const auditor = generateDeviceKeys()
  const moments: Record<KillMoment, number> = { handshake: 0, timer: 0, ack: 0 }
  let ackWaitsTimedOut = 0
  let walLeft = 0
  let walMaxBytes = 0
  let envelopesAudited = 0
  const restartTimes: number[] = []
  const phase = { load: 0, down: 0, restart: 0, audit: 0 }
  let mark = performance.now()
  const lap = (name: keyof typeof phase) => {
    const now = performance.now()
    phase[name] += now - mark
    mark = now
  }

  let stuck: string[] = []
  let final = { documents: 0, envelopes: 0 }
  try {
    for (const d of devices) d.open(server.url)
    // Warm-up: everyone joined (the creators registered both rooms, [S3]) and the stream flowing.
    const warm = Date.now() + 30_000
    while ((devices.some((d) => !d.online) || ledger.counts.acked < 50) && Date.now() < warm) await sleep(10)
    mark = performance.now()

    for (let kill = 1; kill <= options.kills; kill++) {
      const roll = random()
      const moment: KillMoment = roll < 0.2 ? 'handshake' : roll < 0.6 ? 'timer' : 'ack'
      moments[moment]++
      let killed: Promise<void> | undefined
      const killNow = () => {
        if (killed) return
        ledger.watchAcks(undefined)
        for (const d of devices) d.hold()
        killed = server.kill('SIGKILL') // the signal goes out before this returns
      }
      if (moment === 'ack') {
        const k = 1 + Math.floor(random() * 50)
        let seen = 0
        ledger.watchAcks(() => ++seen >= k && killNow())
        const until = Date.now() + 3_000
        while (!killed && Date.now() < until) await sleep(5)
        if (!killed) ackWaitsTimedOut++
      } else await sleep(moment === 'handshake' ? random() * 15 : 15 + random() * 285)
      lap('load')
      killNow()
      await killed
      await Promise.all(devices.map((d) => d.offline()))
      if (options.sqliteFile) {
        const wal = walBytes(options.sqliteFile)
        if (wal > 0) walLeft++
        walMaxBytes = Math.max(walMaxBytes, wal)
      }
      lap('down')
      await server.restart()
      restartTimes.push(performance.now() - mark)
      lap('restart')
      // Nobody pushes yet: the audit sees exactly what survived the kill.
      envelopesAudited += await auditStore(server.url, auditor, rooms, ledger, `after kill ${kill}`)
      ledger.endAudit(`after kill ${kill}`)
      lap('audit')
      if (kill < options.kills) for (const d of devices) d.open(server.url)
    }

    // Drain: no new envelopes; every device resends what is in doubt until all is acknowledged.
    for (const d of devices) {
      d.drain()
      d.open(server.url)
    }
    const drained = Date.now() + 60_000
    while (devices.some((d) => d.unacked > 0) && Date.now() < drained) await sleep(20)
    stuck = devices.filter((d) => d.unacked > 0).map((d) => `${d.name} (${d.unacked} unacknowledged, online: ${d.online}, last connect error: ${d.lastConnectError ?? 'none'})`)
    await Promise.all(devices.map((d) => d.stop()))
    envelopesAudited += await auditStore(server.url, auditor, rooms, ledger, 'after the drain')
    ledger.endAudit('after the drain')
    ledger.restartAudits()
    envelopesAudited += await auditStore(server.url, auditor, rooms, ledger, 'final read from sseq 1')
    final = ledger.checkComplete('final read from sseq 1')
  } finally {
    // Also when a restart or an audit failed: no device keeps dialling after the test.
    await Promise.all(devices.map((d) => d.stop()))
  }

  return {
    ledger,
    kills: options.kills,
    moments,
    ackWaitsTimedOut,
    walLeft,
    walMaxBytes,
    restartMs: { mean: Math.round(restartTimes.reduce((a, b) => a + b, 0) / Math.max(1, restartTimes.length)), max: Math.round(Math.max(0, ...restartTimes)) },
    phaseSeconds: { load: secs(phase.load), down: secs(phase.down), restart: secs(phase.restart), audit: secs(phase.audit) },
    connections: devices.reduce((n, d) => n + d.connections, 0),
    failedConnects: devices.reduce((n, d) => n + d.failedConnects, 0),
    envelopesAudited,
    stuck,
    final,
  }
}

const secs = (ms: number) => Math.round(ms / 100) / 10

function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size
  } catch {
    return 0
  }
}

export const sqliteFileOf = (dataDir: string) => join(dataDir, 'sync.sqlite')
