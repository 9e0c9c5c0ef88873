import { BATCH_KIND, EnvelopeAuthors, ZERO_HASH, sealEnvelope, toHex, type DeviceKeys, type EnvelopeHash } from '../../../crypto/index.js'
import type { Ack, ServerMessage } from '../../../protocol/index.js'
import type { CrashLedger, SealedRecord } from './crashLedger.js'
import type { CrashRoom } from './crashRoom.js'
import { ProtocolSocket } from './protocolSocket.js'

/** One (document, chain) of a device: its sealed envelopes in seq order, how many are acknowledged, how many sent on this connection. */
interface Chain {
  readonly room: CrashRoom
  readonly doc: Uint8Array
  readonly docHex: string
  readonly envs: SealedRecord[]
  head: { seq: number; hash: EnvelopeHash }
  acked: number
  sent: number
}

export interface PusherPace {
  /** Pushes waiting for their ack at once. */
  readonly inFlight: number
  /** Envelopes per push: 1 to this. */
  readonly maxBatch: number
  /** Pause between two pushes: from `pauseMs[0]` to `pauseMs[1]` ms (keeps under [S6]'s 400 frames/s). */
  readonly pauseMs: readonly [number, number]
}

/**
 * A device as a raw protocol client that pushes a steady stream of valid envelopes (its own
 * chain per document, crypto [E13]) and keeps going across server crashes. While the gate is
 * open it (re)connects by itself; after a connection ends it resends, byte for byte, every
 * envelope not acknowledged (stored or not: a byte-identical repeat is acknowledged with its
 * sseq, [S4] invariant 2) before anything new, so its chains continue from what the server
 * acknowledged. It believes only the server's answers: an ack result with a code (SEQ_GAP,
 * CHAIN_BROKEN, EQUIVOCATION: what a lost acknowledged envelope would cause) stops it with a problem.
 */
export class SteadyPusher {
  connections = 0
  failedConnects = 0
  /** Why the last connection attempt failed (for a device that gets stuck). */
  lastConnectError: string | undefined
  private readonly authors: EnvelopeAuthors
  private readonly chains: Chain[]
  private readonly inFlight = new Map<number, { chain: Chain; rec: SealedRecord }[]>()
  private conn: ProtocolSocket | undefined
  private gate: string | undefined
  private dialing = false
  private draining = false
  private stopped = false
  private pushId = 0
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined

  constructor(
    readonly name: string,
    readonly keys: DeviceKeys,
    private readonly rooms: readonly CrashRoom[],
    private readonly ledger: CrashLedger,
    private readonly pace: PusherPace,
    private readonly random: () => number,
  ) {
    this.authors = new EnvelopeAuthors(keys.signSecret)
    this.chains = rooms.flatMap((room) => room.docs.map((doc) => ({ room, doc, docHex: toHex(doc), envs: [], head: { seq: 0, hash: ZERO_HASH }, acked: 0, sent: 0 })))
  }

  get online(): boolean {
    return this.conn !== undefined
  }
  get unacked(): number {
    return this.chains.reduce((n, c) => n + c.envs.length - c.acked, 0)
  }

  /** Connects (and reconnects after any loss) to `url` until `hold`. */
  open(url: string): void {
    this.gate = url
    this.loop ??= this.run()
    void this.dial(url)
  }

  /** No new connection from now on (the current one stays until the server goes). */
  hold(): void {
    this.gate = undefined
  }

  /** Stops sealing new envelopes: only what is unacknowledged is (re)sent. */
  drain(): void {
    this.draining = true
    this.poke()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.hold()
    this.conn?.close()
    this.poke()
    await this.loop
  }

  /** Resolves once the current connection (if any) has ended. */
  async offline(): Promise<void> {
    while (this.conn || this.dialing) await new Promise((r) => setTimeout(r, 5))
  }

  private async dial(url: string): Promise<void> {
    if (this.dialing || this.conn || this.stopped) return
    this.dialing = true
    try {
      while (this.gate === url && !this.conn && !this.stopped) {
        try {
          await this.connect(url)
        } catch (err) {
          this.failedConnects++
          this.lastConnectError = (err as Error).message
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    } finally {
      this.dialing = false
    }
  }

  /** [S2] hello, [S3] join every room; then the stream resumes from the first unacknowledged envelope of each chain. */
  private async connect(url: string): Promise<void> {
    const { socket, nonce } = await ProtocolSocket.open(url)
    try {
      await socket.hello(this.keys, nonce)
      for (const room of this.rooms) {
        socket.send(await room.join(nonce, this.keys))
        await socket.take('joined')
      }
    } catch (err) {
      socket.close()
      throw err
    }
    if (!socket.isOpen) throw new Error('closed during the handshake')
    for (const chain of this.chains) chain.sent = chain.acked
    this.inFlight.clear()
    this.conn = socket
    this.connections++
    socket.listen((msg) => this.onMessage(socket, msg))
    void socket.closed.then(() => this.onClosed(socket))
    this.poke()
  }

  private onClosed(socket: ProtocolSocket): void {
    if (this.conn !== socket) return
    this.conn = undefined
    for (const batch of this.inFlight.values()) for (const { rec } of batch) this.ledger.inDoubt(rec)
    this.inFlight.clear()
    if (this.gate && !this.stopped) void this.dial(this.gate)
    this.poke()
  }

  private onMessage(socket: ProtocolSocket, msg: ServerMessage): void {
    if (this.conn !== socket) return
    if (msg.type === 'ack') return this.onAck(socket, msg)
    if (msg.type === 'error') {
      // A push refused whole (RATE_LIMITED, INTERNAL: "resend"): start over on a new connection,
      // which resends everything unacknowledged in order.
      this.ledger.counts.refusedPushes++
      return void socket.close()
    }
    if (msg.type !== 'mailbox' && msg.type !== 'pong') this.ledger.problem(`${this.name}: unexpected ${msg.type}`)
  }

  private onAck(socket: ProtocolSocket, ack: Ack): void {
    const batch = this.inFlight.get(ack.id)
    this.inFlight.delete(ack.id)
    if (!batch || batch.length !== ack.results.length) return this.fail(`ack ${ack.id} does not match a push in flight`)
    for (const [i, result] of ack.results.entries()) {
      const { chain, rec } = batch[i]!
      if ('code' in result) return this.fail(`doc ${chain.docHex.slice(0, 6)} seq ${rec.seq}: refused with ${result.code}`)
      // [S4] results come in push order and pushes are handled in arrival order.
      if (rec.seq !== chain.acked + 1) return this.fail(`doc ${chain.docHex.slice(0, 6)}: seq ${rec.seq} acknowledged after ${chain.acked}`)
      chain.acked = rec.seq
      this.ledger.acked(rec, result.sseq)
    }
    if (this.conn === socket) this.poke()
  }

  private fail(text: string): void {
    this.ledger.problem(`${this.name}: ${text}`)
    this.stopped = true
    this.conn?.close()
  }

  private poke(): void {
    this.wake?.()
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => (clearTimeout(timer), resolve())
    })
    this.wake = undefined
  }

  /** The only place that seals and sends: one loop per device for the whole test, so chains never fork. */
  private async run(): Promise<void> {
    while (!this.stopped) {
      const conn = this.conn
      // Every turn of this loop waits for something: a socket that is no longer open reports its
      // close only once the event loop runs.
      if (!conn || !conn.isOpen || this.inFlight.size >= this.pace.inFlight) {
        await this.sleep(50)
        continue
      }
      const size = 1 + Math.floor(this.random() * this.pace.maxBatch)
      if (!this.draining) await this.sealAhead(size)
      if (this.conn !== conn || !conn.isOpen || this.stopped) continue
      const batch = this.takeBatch(size)
      if (batch.length === 0) {
        await this.sleep(50)
        continue
      }
      const id = ++this.pushId
      this.inFlight.set(id, batch)
      conn.send({ type: 'push', id, envelopes: batch.map(({ rec }) => rec.bytes!) })
      const [lo, hi] = this.pace.pauseMs
      await this.sleep(lo + this.random() * (hi - lo))
    }
  }

  /** Picks up to `size` envelopes, each the next unsent one of a random chain (in seq order per chain). */
  private takeBatch(size: number): { chain: Chain; rec: SealedRecord }[] {
    const batch: { chain: Chain; rec: SealedRecord }[] = []
    for (let i = 0; i < size; i++) {
      const ready = this.chains.filter((c) => c.sent < c.envs.length)
      if (ready.length === 0) break
      const chain = ready[Math.floor(this.random() * ready.length)]!
      batch.push({ chain, rec: chain.envs[chain.sent++]! })
    }
    return batch
  }

  /** Makes sure at least `size` sealed envelopes wait unsent, sealing the next of random chains. */
  private async sealAhead(size: number): Promise<void> {
    let waiting = this.chains.reduce((n, c) => n + c.envs.length - c.sent, 0)
    while (waiting < size) {
      const chain = this.chains[Math.floor(this.random() * this.chains.length)]!
      const { room, doc } = chain
      const author = await this.authors.forEpoch(room.conv, room.epoch)
      const header = { kind: BATCH_KIND, conv: room.conv, doc, epoch: room.epoch, chain: author.chain, seq: chain.head.seq + 1, prev: chain.head.hash } as const
      // Sizes vary over the padding buckets (crypto [E5]: 4 KiB and 8 KiB here).
      const text = `${this.name} ${chain.docHex.slice(0, 6)} #${header.seq} `.padEnd(Math.floor(this.random() * 6_000), '.')
      const sealed = await sealEnvelope(header, new TextEncoder().encode(text), room.epochKey, author)
      chain.head = { seq: header.seq, hash: sealed.hash }
      chain.envs.push(this.ledger.sealed(this.name, chain.docHex, header.seq, sealed.bytes, sealed.hash))
      waiting++
    }
  }
}
