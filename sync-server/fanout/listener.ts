import pg from 'pg'
import type { Logger } from '../log.js'

/**
 * [S21] The instance's LISTEN connection: one client of its own, never the pool's (a pooled
 * client is handed to other work and its LISTEN would be lost with it). PostgreSQL keeps no
 * notice for a listener that is not connected, so every drop is reported (`onState(false)`)
 * before anything else happens, and the client is replaced with backoff (0.1 s doubling to 5 s),
 * each failed attempt logged. A connection that goes quiet without closing (a cut network) is
 * found by a `SELECT 1` every PROBE_MS that must answer within PROBE_TIMEOUT_MS.
 */
const PROBE_MS = 5_000
const PROBE_TIMEOUT_MS = 5_000
const BACKOFF_MS = [100, 200, 400, 800, 1_600, 3_200, 5_000]

export interface ListenerOptions {
  readonly url: string
  readonly channel: string
  readonly log: Logger
  readonly onNotice: (payload: string) => void
  /** false as soon as notices may be missed; true once listening again. */
  readonly onState: (listening: boolean) => void
}

export class NoticeListener {
  private client: pg.Client | undefined
  private listening = false
  private closed = false
  private attempt = 0
  private retry: NodeJS.Timeout | undefined
  private readonly probe: NodeJS.Timeout

  private constructor(private readonly options: ListenerOptions) {
    this.probe = setInterval(() => void this.check(), PROBE_MS)
    this.probe.unref()
  }

  /** Listening when it resolves; rejects if the first connection fails (the server does not start). */
  static async start(options: ListenerOptions): Promise<NoticeListener> {
    const listener = new NoticeListener(options)
    try {
      await listener.connect()
    } catch (err) {
      await listener.close()
      throw err
    }
    return listener
  }

  get isListening(): boolean {
    return this.listening
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url, keepAlive: true, connectionTimeoutMillis: 10_000, query_timeout: PROBE_TIMEOUT_MS, application_name: 'fieldchat notices',
    })
    client.on('notification', (n) => {
      if (client === this.client && n.channel === this.options.channel) this.options.onNotice(n.payload ?? '')
    })
    client.on('error', () => this.lost(client))
    client.on('end', () => this.lost(client))
    this.client = client
    await client.connect()
    await client.query(`LISTEN ${client.escapeIdentifier(this.options.channel)}`)
    if (this.client !== client || this.closed) return
    this.listening = true
    this.attempt = 0
    this.options.onState(true)
  }

  private lost(client: pg.Client): void {
    if (client !== this.client || this.closed) return
    this.client = undefined
    void client.end().catch(() => undefined)
    if (this.listening) {
      this.listening = false
      this.options.log.warn({ code: 'S121_NOTICES_DOWN' }, 'notice connection to PostgreSQL lost: this instance hears no other instance until it is back')
      this.options.onState(false)
    }
    this.schedule()
  }

  private schedule(): void {
    if (this.closed || this.retry) return
    const wait = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)]!
    this.retry = setTimeout(() => {
      this.retry = undefined
      this.connect().then(
        () => this.options.log.info({ attempts: this.attempt }, 'notice connection to PostgreSQL back: listening again'),
        (err: unknown) => {
          // The message names the failure (refused, timed out), never the URL or its password.
          this.options.log.warn({ code: 'S121_NOTICES_DOWN', attempt: this.attempt, err: (err as Error).message }, 'notice connection to PostgreSQL still down')
          const failed = this.client
          if (failed) this.lost(failed)
          else this.schedule()
        },
      )
    }, wait)
    this.retry.unref()
  }

  private async check(): Promise<void> {
    const client = this.client
    if (!client || !this.listening) return
    try {
      await client.query('SELECT 1')
    } catch {
      this.lost(client)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.probe)
    clearTimeout(this.retry)
    const client = this.client
    this.client = undefined
    this.listening = false
    await client?.end().catch(() => undefined)
  }
}
