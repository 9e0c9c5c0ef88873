import type { DeviceIdentity } from '../gen/device.js'
import type { Rng } from '../rng.js'
import type { Tally } from '../tally.js'
import type { EpisodeContext } from '../wsPeer.js'

/** The timers of the server under test, so slow episodes know how long to wait for its verdict ([S6]). */
export interface ServerTimers {
  readonly handshakeTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly headersTimeoutMs: number
  readonly silentSocketMs: number
  readonly closeGraceMs: number
  readonly maxFrameBytes: number
  readonly hardFrameBytes: number
}

export interface EpisodeEnv extends EpisodeContext {
  readonly port: number
  readonly tally: Tally
  /** Devices reused across episodes (reconnects, mailboxes that fill up). */
  readonly devices: readonly DeviceIdentity[]
  readonly timers: ServerTimers
  /** How often an episode stays before the hello (the phase's choice, [S22]). */
  readonly preAuth: number
  /** Valid mail at the [P6] caps (recipients × items) the phase may still send: each one is a large write. */
  readonly heavyMail: { left: number }
  /** True once the phase has sent its frames: long waits end early. */
  stopping(): boolean
}

export type Episode = (rng: Rng, env: EpisodeEnv) => Promise<void>

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
