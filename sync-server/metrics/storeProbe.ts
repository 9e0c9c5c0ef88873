import type { Logger } from '../log.js'
import type { ChangeStore } from '../store/ChangeStore.js'

export interface ProbeTiming {
  /** An answer younger than this is reused: /healthz, /readyz and /metrics can be asked often, the store is not. */
  readonly maxAgeMs: number
  /** A check that has not answered by then counts as failed (a store across the network that hangs). */
  readonly timeoutMs: number
}

export const defaultProbeTiming: ProbeTiming = { maxAgeMs: 1_000, timeoutMs: 2_000 }

/** A store error's code (`SQLITE_BUSY`, a PostgreSQL SQLSTATE) if it looks like one; never its message, which may name a file. */
const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'unknown'
}

/**
 * [S7] Whether the store would take a write now (ChangeStore.checkWritable), asked at most once
 * per `maxAgeMs` however many requests want to know; concurrent askers share one check. A change
 * of answer is logged once, with the store's error code only.
 */
export class StoreProbe {
  private last: { ok: boolean; at: number } | undefined
  private running: Promise<boolean> | undefined

  constructor(
    private readonly store: Pick<ChangeStore, 'checkWritable'>,
    private readonly log: Logger,
    private readonly timing: ProbeTiming = defaultProbeTiming,
  ) {}

  writable(): Promise<boolean> {
    if (this.last && performance.now() - this.last.at < this.timing.maxAgeMs) return Promise.resolve(this.last.ok)
    return (this.running ??= this.check())
  }

  private async check(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('store check timed out'), { code: 'TIMEOUT' })), this.timing.timeoutMs)
    })
    let ok = true
    try {
      await Promise.race([this.store.checkWritable(), timeout])
    } catch (err) {
      ok = false
      if (this.last?.ok !== false) this.log.error({ code: 'S503_STORE_UNWRITABLE', err: codeOf(err) }, 'store is not writable')
    } finally {
      clearTimeout(timer)
    }
    if (ok && this.last?.ok === false) this.log.info('store is writable again')
    this.last = { ok, at: performance.now() }
    this.running = undefined
    return ok
  }
}
