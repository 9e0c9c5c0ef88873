import type { Messenger } from '../core/messenger.js'
import type { Identity } from '../core/identity.js'
import type { Team } from '../core/team/team.js'
import { CliError, CliErrorCode, usageError } from './errors.js'
import type { Result } from './output.js'
import { waitForDelivery } from './wait.js'

/** The options every command may read (parsed in main.ts). */
export interface Options {
  readonly json: boolean
  readonly origin: string
  readonly name?: string
  readonly title?: string
  readonly count?: string
  readonly all: boolean
  readonly ttl?: string
  readonly code?: string
  readonly noHistory: boolean
  /** `export --out FILE` ([M31]), `get-file … --out FILE` ([A3]). */
  readonly out?: string
  /** `send-file … --caption TEXT` ([A2]). */
  readonly caption?: string
  /** `send-file`, `get-file --accept-warning`: the second step on a file the checks warn about ([H5]). */
  readonly acceptWarning?: boolean
  /** `react … --remove`, `pin … --off` ([M42], [M46]). */
  readonly remove?: boolean
  readonly off?: boolean
  /** `messages … --receipts`: ask the others online for their receipts first ([M56]). */
  readonly receipts?: boolean
  /** `org stats … --from DAY --to DAY` ([Q7]). */
  readonly from?: string
  readonly to?: string
}

/** What a command gets: the engine, the options, and the waits bounded by --timeout. */
export interface Cli {
  readonly messenger: Messenger
  readonly options: Options
  /** Milliseconds left of --timeout (shared by every wait of the command). */
  remaining(): number
  identity(): Identity
  team(): Team
  /**
   * Connects and waits until what waited for this device (its mailbox: bundles, join requests)
   * is handled, so names and ids resolve against the newest directory. C300 when the server
   * cannot be reached in time; nothing has changed then. `until`: what the command waits for
   * (get-file: the file's message) is here, so once online it need not wait for a quiet time.
   */
  connect(opts?: { until?: () => boolean }): Promise<void>
  /**
   * Waits until what this command changed is on the server: mail (team bundles, join requests)
   * and key rotations; with `messages`, every pending message too. `quietMs` 0: the caller knows
   * what it waits for (its own message, counted as pending from when it was written), so no quiet
   * time is added.
   */
  delivered(opts?: { messages?: boolean; quietMs?: number }): Promise<void>
}

export type Command = (cli: Cli, args: readonly string[]) => Promise<Result | undefined>

export function makeCli(messenger: Messenger, options: Options, timeoutMs: number): Cli {
  const deadline = Date.now() + timeoutMs
  const remaining = () => Math.max(0, deadline - Date.now())
  const identity = () => {
    if (!messenger.identity) throw new CliError(CliErrorCode.NO_IDENTITY, 'no identity on this device yet: run `init --name NAME` first')
    return messenger.identity
  }
  return {
    messenger,
    options,
    remaining,
    identity,
    team: () => (identity(), messenger.team),
    async connect(opts = {}) {
      identity()
      messenger.start()
      await waitForDelivery(messenger, remaining(), opts).catch((err: unknown) => {
        if (!(err instanceof CliError)) throw err
        throw new CliError(err.code, `${err.message}; nothing was changed`, err.data)
      })
    },
    async delivered(opts = {}) {
      await waitForDelivery(messenger, remaining(), opts).catch((err: unknown) => {
        if (!(err instanceof CliError)) throw err
        throw new CliError(err.code, `${err.message}; the change is saved on this device and goes out with the next \`sync\``, err.data)
      })
    },
  }
}

/** The argument at `i`, or a usage error naming it. */
export function arg(args: readonly string[], i: number, what: string): string {
  const value = args[i]
  if (value === undefined || value === '') throw usageError(`missing ${what}`)
  return value
}

/** The first arguments, named for the usage error when one is missing (checked before connecting). */
export function need<const N extends readonly string[]>(args: readonly string[], ...names: N): { [K in keyof N]: string } {
  return names.map((what, i) => arg(args, i, what)) as { [K in keyof N]: string }
}
