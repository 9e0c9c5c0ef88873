import { defaultLimits, type ServerLimits } from '../../sync-server/limits.js'
import type { ServerTimers } from './episodes/types.js'

/**
 * Two phases, each against its own server process and data folder:
 * - `deep`: the fuzzer's limits (deepServer.ts): no rate limit in the way of valid frames, and
 *   short timers so slow peers are judged within the run; most of the frames.
 * - `defaults`: `sync-server/main.ts` exactly as `npm start` runs it: rate limits, strikes and
 *   timers as shipped.
 */
export const DEEP_LIMITS: Partial<ServerLimits> = {
  // [S22] budgets: the fuzzer is one address and a few dozen devices; in this phase it must not wait.
  framesPerSecond: 1_000_000,
  burstFrames: 1_000_000,
  addressFramesPerSecond: 1_000_000,
  addressBurstFrames: 1_000_000,
  mailRowsPerSecond: 1_000_000,
  mailRowsBurst: 1_000_000,
  handshakeTimeoutMs: 3_000,
  idleTimeoutMs: 4_000,
  headersTimeoutMs: 3_000,
  silentSocketMs: 3_000,
}

export interface Phase {
  readonly name: 'deep' | 'defaults'
  /** The server's entry point and the share of the run's frames. */
  readonly entry: string
  readonly share: number
  readonly timers: ServerTimers
  /** Weights of the episode kinds in the main lane (a flood sends 300–3,000 frames, the others tens: floods are about a fifth of the frames). */
  readonly weights: Readonly<Record<string, number>>
  /** How often an episode stays before the hello: [S22] gives all of them one address budget, in `defaults` 200 frames/s. */
  readonly preAuth: number
}

const timersOf = (limits: ServerLimits): ServerTimers => ({
  handshakeTimeoutMs: limits.handshakeTimeoutMs,
  idleTimeoutMs: limits.idleTimeoutMs,
  headersTimeoutMs: limits.headersTimeoutMs,
  silentSocketMs: limits.silentSocketMs,
  closeGraceMs: limits.closeGraceMs,
  maxFrameBytes: limits.maxFrameBytes,
  hardFrameBytes: limits.hardFrameBytes,
})

export const PHASES: readonly Phase[] = [
  {
    name: 'deep',
    entry: 'bench/fuzz/deepServer.ts',
    share: 0.75,
    timers: timersOf({ ...defaultLimits, ...DEEP_LIMITS }),
    weights: { garbage: 3, cbor: 3, mutated: 4, session: 6, handshake: 1, oversize: 0.15, flood: 0.15, wsFraming: 0.5 },
    preAuth: 0.4,
  },
  {
    name: 'defaults',
    entry: 'sync-server/main.ts',
    share: 0.25,
    timers: timersOf(defaultLimits),
    weights: { garbage: 3, cbor: 3, mutated: 4, session: 4, handshake: 0.3, oversize: 0.15, flood: 0.3, wsFraming: 0.3 },
    preAuth: 0.05,
  },
]
