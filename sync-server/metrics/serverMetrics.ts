import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ErrorCode } from '../../protocol/index.js'
import type { AppendItem, AppendResult, PostedMail } from '../store/ChangeStore.js'
import {
  CODE_NAMES, CONNECTION_STATES, FRAME_IN_TYPES, FRAME_OUT_TYPES, RATE_LIMIT_ACTIONS, STORE_OPS,
  type FrameInType, type FrameOutType, type RateLimitAction, type StoreOp,
} from './labels.js'
import { processRegistry } from './processMetrics.js'

/** What the gauges read at scrape time (and only then: nothing here runs per frame). */
export interface MetricsSources {
  /** Open WebSocket connections, and how many of them completed the hello. */
  connections(): { open: number; authenticated: number }
  /** ChangeStore.mailDepth: asked at most every MAIL_DEPTH_MAX_AGE_MS. */
  mailDepth(): Promise<number>
  /** Whether the store took a write lately (StoreProbe, itself rate-limited). */
  writable(): Promise<boolean>
}

/** [S19] Mailbox depth counts over the whole store: asked on scrape, at most this often. */
export const MAIL_DEPTH_MAX_AGE_MS = 10_000

const idle: MetricsSources = { connections: () => ({ open: 0, authenticated: 0 }), mailDepth: async () => 0, writable: async () => true }
const COMMIT_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const LAG_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]

/**
 * One child per value of a closed label set, made up front and shown from the start at 0 (a rate
 * over a series that appears late misses its first increase): a value outside the set has no
 * child to count.
 */
function counters(counter: Counter<string>, values: readonly string[]): ReadonlyMap<string, Counter.Internal> {
  return new Map(values.map((v) => {
    const child = counter.labels(v)
    child.inc(0)
    return [v, child]
  }))
}

/**
 * [S19] What one sync server counts, in its own prom-client registry (tests start several servers
 * in one process; the global default registry is never used). Labels come only from the closed
 * sets of labels.ts. The three /healthz counters ([S7]) are kept here too.
 */
export class ServerMetrics {
  /** This server's metrics and the process's: what GET /metrics shows. */
  readonly registry: Registry
  private readonly totals = { envelopesIn: 0, envelopesOut: 0, framesRejected: 0 }
  private readonly framesIn: ReadonlyMap<string, Counter.Internal>
  private readonly framesOut: ReadonlyMap<string, Counter.Internal>
  private readonly rejections: Counter<'code' | 'name' | 'fatal'>
  private readonly rateActions: ReadonlyMap<string, Counter.Internal>
  private readonly commitSeconds: ReadonlyMap<string, Histogram.Internal<'op'>>
  private readonly received: Counter
  private readonly sent: ReadonlyMap<string, Counter.Internal>
  private readonly stored: { envelopes: Counter; envelopeBytes: Counter; mailItems: Counter; mailBytes: Counter }
  private readonly fanoutLag: Histogram
  private readonly blobRequests: Counter<'op' | 'code'>
  private readonly blobBytes: ReadonlyMap<string, Counter.Internal>
  /** Commit time of each group of freshly appended envelopes, by the array that is fanned out; weak, so it lives no longer than the delivery. */
  private readonly commits = new WeakMap<object, number>()
  private depth: { value: number; at: number; pending: Promise<void> | undefined } = { value: 0, at: -Infinity, pending: undefined }

  constructor(private readonly sources: MetricsSources = idle) {
    const registers = [new Registry()]
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers })
    const inFrames = counter('fieldchat_frames_in_total', 'Frames received, by decoded type; invalid: did not decode or fit the schema.', ['type'])
    this.framesIn = counters(inFrames, FRAME_IN_TYPES)
    const outFrames = counter('fieldchat_frames_out_total', 'Frames sent, by type.', ['type'])
    this.framesOut = counters(outFrames, FRAME_OUT_TYPES)
    this.rejections = counter('fieldchat_rejections_total', 'Coded errors sent to a peer (refusals and closes), by wire error code.', ['code', 'name', 'fatal'])
    const limited = counter('fieldchat_rate_limit_actions_total', 'What rate limiting did: refused a frame, paused reading, closed the connection.', ['action'])
    this.rateActions = counters(limited, RATE_LIMIT_ACTIONS)
    this.received = counter('fieldchat_envelopes_received_total', 'Envelopes in pushes that passed the checks before the store (repeats included).')
    const sent = counter('fieldchat_envelopes_sent_total', 'Envelopes sent to subscribers; live: fan-out, else backlog.', ['live'])
    this.sent = counters(sent, ['true', 'false'])
    this.blobRequests = counter('fieldchat_blob_requests_total', 'Blob store requests ([B11]), by operation and answer code (ok, or the B-code refused with).', ['op', 'code'])
    this.blobBytes = counters(counter('fieldchat_blob_bytes_total', 'Sealed chunk bytes stored (in) and sent (out) by the blob store.', ['way']), ['in', 'out'])
    this.stored = {
      envelopes: counter('fieldchat_envelopes_stored_total', 'New envelopes stored (repeats and snapshots not counted).'),
      envelopeBytes: counter('fieldchat_envelope_bytes_stored_total', 'Bytes of the new envelopes stored.'),
      mailItems: counter('fieldchat_mail_items_stored_total', 'Mail item bodies stored (once per post, however many recipients).'),
      mailBytes: counter('fieldchat_mail_bytes_stored_total', 'Bytes of the mail item bodies stored.'),
    }
    const commit = new Histogram({ name: 'fieldchat_store_commit_seconds', help: 'Time of a durable store write: a push\'s append, a mail post.', labelNames: ['op'], buckets: COMMIT_BUCKETS, registers })
    this.commitSeconds = new Map(STORE_OPS.map((op) => (commit.zero({ op }), [op, commit.labels(op)])))
    this.fanoutLag = new Histogram({ name: 'fieldchat_fanout_lag_seconds', help: 'From an append\'s commit to its live envelopes frame handed to each subscriber\'s socket.', buckets: LAG_BUCKETS, registers })

    const connections = () => this.sources.connections()
    new Gauge({
      name: 'fieldchat_connections', help: 'Open WebSocket connections, by whether they completed the hello.', labelNames: ['state'], registers,
      collect() {
        const { open, authenticated } = connections()
        this.set({ state: CONNECTION_STATES[0] }, authenticated)
        this.set({ state: CONNECTION_STATES[1] }, Math.max(0, open - authenticated))
      },
    })
    const depth = async () => (await this.refreshDepth(), this.depth.value)
    new Gauge({
      name: 'fieldchat_mailbox_depth', help: `Mailbox rows waiting to be read, decoy rows included (refreshed at most every ${MAIL_DEPTH_MAX_AGE_MS / 1000} s).`, registers,
      async collect() {
        this.set(await depth())
      },
    })
    const writable = () => this.sources.writable()
    new Gauge({
      name: 'fieldchat_store_writable', help: '1 when the store took a write in its last health check, else 0.', registers,
      async collect() {
        this.set((await writable()) ? 1 : 0)
      },
    })
    this.registry = Registry.merge([processRegistry(), ...registers])
  }

  /** The /healthz counters ([S7]). */
  get counters(): { envelopesIn: number; envelopesOut: number; framesRejected: number } {
    return { ...this.totals }
  }

  frameIn(type: FrameInType): void {
    ;(this.framesIn.get(type) ?? this.framesIn.get('invalid'))!.inc()
  }

  frameOut(type: FrameOutType): void {
    this.framesOut.get(type)?.inc()
  }

  /** A coded error sent to a peer (a slow reader's close is SLOW_READER, fatal). Codes outside the catalogue are not counted. */
  rejected(code: ErrorCode, fatal: boolean): void {
    this.totals.framesRejected++
    const name = CODE_NAMES.get(code)
    if (name) this.rejections.labels(String(code), name, String(fatal)).inc()
  }

  /** For the rate limiting ([S6]): what it did to a device's frames. */
  rateLimit(action: RateLimitAction): void {
    this.rateActions.get(action)?.inc()
  }

  /** Runs a push's append, timed; counts what it received and what was new. */
  /** [B11] One blob request: its operation (a closed set) and its code (ok or a [B12] code). */
  blobRequest(op: 'create' | 'status' | 'put' | 'data' | 'remove' | 'invalid', code: string): void {
    this.blobRequests.inc({ op, code })
  }

  blobTransfer(way: 'in' | 'out', bytes: number): void {
    if (bytes > 0) this.blobBytes.get(way)?.inc(bytes)
  }

  async storeAppend(items: readonly AppendItem[], append: () => Promise<AppendResult[]>): Promise<AppendResult[]> {
    this.totals.envelopesIn += items.length
    this.received.inc(items.length)
    const results = await this.timed('append', append)
    results.forEach((r, i) => {
      if (!r.ok || r.duplicate) return
      this.stored.envelopes.inc()
      this.stored.envelopeBytes.inc(items[i]!.bytes.length)
    })
    return results
  }

  /** Runs a mail post, timed; counts its bodies when it was stored. */
  async storeMail(bodies: readonly Uint8Array[], post: () => Promise<PostedMail | undefined>): Promise<PostedMail | undefined> {
    const posted = await this.timed('post_mail', post)
    if (posted) {
      this.stored.mailItems.inc(bodies.length)
      this.stored.mailBytes.inc(bodies.reduce((n, b) => n + b.length, 0))
    }
    return posted
  }

  /** Marks `items` (fresh envelopes about to be fanned out) as committed now; returns them. */
  committed<T extends object>(items: T): T {
    this.commits.set(items, performance.now())
    return items
  }

  /**
   * `count` envelopes of `items` handed to a subscriber's socket, live. The fan-out lag is
   * observed when `items` is an array marked by `committed` on this server; a delivery that
   * waited behind a subscriber's backlog, or came from elsewhere, is counted but not timed.
   */
  delivered(items: object, count: number): void {
    this.totals.envelopesOut += count
    this.sent.get('true')!.inc(count)
    const at = this.commits.get(items)
    if (at !== undefined) this.fanoutLag.observe((performance.now() - at) / 1000)
  }

  /** `count` envelopes of a backlog page sent. */
  backlogSent(count: number): void {
    this.totals.envelopesOut += count
    this.sent.get('false')!.inc(count)
  }

  private async timed<T>(op: StoreOp, run: () => Promise<T>): Promise<T> {
    const end = this.commitSeconds.get(op)!.startTimer()
    try {
      return await run()
    } finally {
      end()
    }
  }

  private refreshDepth(): Promise<void> {
    if (performance.now() - this.depth.at < MAIL_DEPTH_MAX_AGE_MS) return Promise.resolve()
    // A failing store keeps the last value (its state shows in fieldchat_store_writable); it is asked again after the same wait.
    return (this.depth.pending ??= this.sources.mailDepth()
      .then((n) => void (this.depth.value = n), () => undefined)
      .finally(() => {
        this.depth.at = performance.now()
        this.depth.pending = undefined
      }))
  }
}
