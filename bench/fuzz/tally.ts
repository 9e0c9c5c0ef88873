import { toHex } from '../../crypto/index.js'

/** What one finding is: the three the run fails on, and what else deserves a look. */
export type FindingKind = 'crash' | 'stall' | 'starved' | 'uncoded' | 'invalid-server-frame' | 'hung' | 'kept' | 'server-error-log' | 'connect-failed'

export interface Finding {
  readonly kind: FindingKind
  readonly phase: string
  readonly episode?: string
  readonly detail: string
  /** The last frames the episode sent before it (hex; long frames cut to their first 2 KiB). */
  readonly lastFramesHex?: string[]
}

/** Findings kept per kind and phase (the counts go on): a common kind must not crowd out a rare one. */
const MAX_FINDINGS_PER_KIND = 20
const HEX_CUT = 2048

export function frameHex(frame: Uint8Array | string): string {
  const bytes = typeof frame === 'string' ? new TextEncoder().encode(frame) : frame
  const head = toHex(bytes.subarray(0, HEX_CUT))
  return bytes.length > HEX_CUT ? `${head}…(${bytes.length} bytes)` : head
}

/** Counters of one phase; the report adds phases up. */
export class Tally {
  frames = 0
  connections = 0
  crashes = 0
  stalls = 0
  uncoded = 0
  invalidServerFrames = 0
  /** Connections the server never answered within the episode's wait while the process was healthy. */
  hung = 0
  /** Slow or silent peers the server kept past its announced timeouts ([S6]). */
  kept = 0
  connectFailures = 0
  serverErrorLogs = 0
  fuzzerCloses = 0
  readonly rejectionsByCode: Record<string, number> = {}
  /** Codes in `ack` results (per envelope or mail item), checked against the catalogue too. */
  readonly ackCodes: Record<string, number> = {}
  /** Closes the server started, by WebSocket close code. */
  readonly closesByCode: Record<string, number> = {}
  /** ws's own protocol closes (1002 protocol error, 1007 invalid UTF-8, 1009 too big): the library answers before our code sees a frame. */
  readonly wsLevelCloses: Record<string, number> = {}
  /** Raw TCP episodes that never became a WebSocket: how the server ended them (HTTP status, or closed). */
  readonly httpOutcomes: Record<string, number> = {}
  /** Per episode kind: how many ran, the frames they sent, and the seconds they took in all. */
  readonly episodes: Record<string, { n: number; frames: number; seconds: number }> = {}
  readonly findings: Finding[] = []
  findingsDropped = 0

  constructor(readonly phase: string) {}

  bump(table: Record<string, number>, key: string | number, by = 1): void {
    table[key] = (table[key] ?? 0) + by
  }

  find(kind: FindingKind, detail: string, episode?: string, lastFrames?: readonly (Uint8Array | string)[]): void {
    if (kind === 'uncoded') this.uncoded++
    if (kind === 'invalid-server-frame') this.invalidServerFrames++
    if (kind === 'hung') this.hung++
    if (kind === 'kept') this.kept++
    if (kind === 'connect-failed') this.connectFailures++
    if (this.findings.filter((f) => f.kind === kind).length >= MAX_FINDINGS_PER_KIND) return void this.findingsDropped++
    this.findings.push({ kind, phase: this.phase, detail, ...(episode ? { episode } : {}), ...(lastFrames?.length ? { lastFramesHex: lastFrames.map(frameHex) } : {}) })
  }
}
