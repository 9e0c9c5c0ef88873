import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerMetrics } from './serverMetrics.js'
import type { StoreProbe } from './storeProbe.js'

export interface OperatorOptions {
  readonly metrics: ServerMetrics
  readonly probe: StoreProbe
  /** Open WebSocket connections, for /healthz. */
  connections(): number
  /** [S19] When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly metricsToken?: string
  /** [S21] Why this instance should get no connections now although its store works (it cannot hear the others), or undefined. */
  unready?(): string | undefined
}

/** starting → ready (listening) → draining (shutting down: never ready again). */
type Phase = 'starting' | 'ready' | 'draining'

const sha256 = (text: string) => createHash('sha256').update(text).digest()

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body))
}

/**
 * The operator's endpoints: /healthz (liveness: is this process working, is its store
 * writable), /readyz (readiness: should a load balancer send connections here) and /metrics
 * (Prometheus text). [S7], [S19].
 */
export class OperatorEndpoints {
  private phase: Phase = 'starting'
  private readonly started = performance.now()
  private readonly token: Buffer | undefined

  constructor(private readonly options: OperatorOptions) {
    this.token = options.metricsToken ? sha256(options.metricsToken) : undefined
  }

  /** The server listens: /readyz may answer 200. */
  ready(): void {
    if (this.phase === 'starting') this.phase = 'ready'
  }

  /** [S7] Shutting down: /readyz answers 503 from here on, so a load balancer stops sending before the server closes. */
  drain(): void {
    this.phase = 'draining'
  }

  /** Answers /healthz, /readyz and /metrics (exact request targets); false for anything else. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const answer = req.url === '/healthz' ? this.health(res) : req.url === '/readyz' ? this.readiness(res) : req.url === '/metrics' ? this.exposition(req, res) : undefined
    if (!answer) return false
    void answer.catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'cache-control': 'no-store' }).end()
    })
    return true
  }

  private async health(res: ServerResponse): Promise<void> {
    const writable = await this.options.probe.writable()
    const body = { uptimeSeconds: Math.round((performance.now() - this.started) / 1000), connections: this.options.connections(), ...this.options.metrics.counters }
    json(res, writable ? 200 : 503, writable ? { ok: true, ...body } : { ok: false, store: 'unwritable', ...body })
  }

  private async readiness(res: ServerResponse): Promise<void> {
    if (this.phase !== 'ready') return json(res, 503, { ready: false, reason: this.phase })
    const writable = await this.options.probe.writable()
    // Draining may have begun while the store answered.
    if (this.phase !== 'ready') return json(res, 503, { ready: false, reason: this.phase })
    const why = this.options.unready?.()
    if (why) return json(res, 503, { ready: false, reason: why })
    json(res, writable ? 200 : 503, writable ? { ready: true } : { ready: false, reason: 'store' })
  }

  private async exposition(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.token) {
      const given = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1]
      if (!given || !timingSafeEqual(sha256(given), this.token)) {
        return void res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'cache-control': 'no-store' }).end()
      }
    }
    const { registry } = this.options.metrics
    const text = await registry.metrics()
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text)
  }
}
