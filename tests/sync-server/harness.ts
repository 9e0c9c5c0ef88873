import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { WebSocket } from 'ws'
import { vi } from 'vitest'
import { helloFor, mailboxOf } from '../helpers/hello.js'
import {
  BATCH_KIND, EnvelopeAuthors, ZERO_HASH, capabilityProofBytes, conversationIdOf, createSigner, deriveAdminCapability, deriveCapability, deviceAuthBytes, generateDeviceKeys, generateEpochKey,
  randomBytes, sealEnvelope, type DeviceKeys, type EnvelopeHash, type EpochKey, type Signer,
} from '../../crypto/index.js'
import { PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../protocol/index.js'
import { Connection, type ConnectionContext } from '../../sync-server/connection.js'
import { DecoyPoolCache } from '../../sync-server/decoyPools.js'
import { Hub } from '../../sync-server/hub.js'
import { createBudgets } from '../../sync-server/budgets.js'
import { defaultLimits, type ServerLimits } from '../../sync-server/limits.js'
import { ServerMetrics } from '../../sync-server/metrics/serverMetrics.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'

/** Stands in for a ws socket: records what the server sends, decoded and schema-checked. */
export class FakeSocket extends EventEmitter {
  readonly OPEN = 1
  readyState = 1
  bufferedAmount = 0
  /** Reading paused by the server ([S22]): what the peer sends meanwhile is held by TCP, here by the test. */
  isPaused = false
  pause(): void {
    this.isPaused = true
  }
  resume(): void {
    this.isPaused = false
  }
  readonly received: ServerMessage[] = []
  closed: { code: number; reason: string } | undefined

  send(data: Uint8Array): void {
    const decoded = decodeServerFrame(data)
    if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.reason}`)
    this.received.push(decoded.message)
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason }
    this.readyState = 3
    this.emit('close', code)
  }
  terminated = false
  terminate(): void {
    this.terminated = true
  }
  /** A client frame as ws hands it over: a Buffer, binary. */
  deliver(message: ClientMessage | Uint8Array, isBinary = true): void {
    const bytes = message instanceof Uint8Array ? message : encodeFrame(message)
    this.emit('message', Buffer.from(bytes), isBinary)
  }
}

/** Captures the server's structured log lines for the [S8] scan. */
export function captureLogs() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { log: pino({ level: 'trace' }, stream), lines }
}

export interface Server {
  readonly ctx: ConnectionContext
  readonly logs: string[]
  connect(): Peer
}

export function server(options: { store?: ChangeStore; limits?: Partial<ServerLimits> } = {}): Server {
  const limits = { ...defaultLimits, ...options.limits }
  const { log, lines } = captureLogs()
  const ctx: ConnectionContext = {
    joins: new Map(),
    mailboxes: new Map(),
    decoyPools: new DecoyPoolCache(),
    store: options.store ?? openMemoryStore(),
    hub: new Hub(),
    log,
    limits,
    budgets: createBudgets(limits),
    metrics: new ServerMetrics(),
  }
  return { ctx, logs: lines, connect: () => new Peer(ctx) }
}

/** One socket as seen from the client side, with a message trace. */
export class Peer {
  readonly socket = new FakeSocket()
  readonly connection: Connection
  constructor(readonly ctx: ConnectionContext) {
    this.connection = new Connection(this.socket as unknown as WebSocket, ctx)
  }
  get trace(): ServerMessage[] {
    return this.socket.received
  }
  get challenge(): Uint8Array {
    const first = this.trace[0]
    if (first?.type !== 'challenge') throw new Error('no challenge')
    return first.nonce
  }
  send(message: ClientMessage | Uint8Array, isBinary = true): void {
    this.socket.deliver(message, isBinary)
  }
  /** Waits until the trace has at least `count` messages, and returns the ones after `from`. */
  async next(count = 1, from = this.trace.length): Promise<ServerMessage[]> {
    await vi.waitFor(() => {
      if (this.trace.length < from + count) throw new Error(`waiting for ${count} message(s), trace: ${JSON.stringify(this.types())}`)
    }, { timeout: 2000, interval: 2 })
    return this.trace.slice(from)
  }
  /** Sends and waits for `count` answers. */
  async ask(message: ClientMessage | Uint8Array, count = 1, isBinary = true): Promise<ServerMessage[]> {
    const from = this.trace.length
    this.send(message, isBinary)
    return this.next(count, from)
  }
  types(): string[] {
    return this.trace.map((m) => (m.type === 'error' ? `error:${m.code}${m.fatal ? ':fatal' : ''}` : m.type))
  }
}

/** A device persona: keys, a signer, and its envelope chain per document. */
export class Device {
  readonly signer: Signer
  readonly authors: EnvelopeAuthors
  private readonly heads = new Map<string, { seq: number; hash: EnvelopeHash }>()
  constructor(
    readonly name: string,
    readonly keys: DeviceKeys = generateDeviceKeys(),
  ) {
    this.signer = createSigner(keys.signSecret)
    this.authors = new EnvelopeAuthors(keys.signSecret)
  }

  /** This device's mailbox address (crypto [K7]): where mail to it is posted. */
  get mailbox(): Uint8Array {
    return mailboxOf(this.keys)
  }

  /** The same keys with a fresh chain: a cloned or buggy device that forks its own history. */
  fork(): Device {
    return new Device(`${this.name}-fork`, this.keys)
  }

  async hello(peer: Peer): Promise<ServerMessage[]> {
    return peer.ask(await helloFor(this.keys, peer.challenge))
  }

  /** Seals the next envelope of this device's chain in `doc` (its chain key of the room's epoch, [E13]). */
  async envelope(room: Room, doc = room.doc, text = `${this.name} says hi`, epoch = room.epoch): Promise<Uint8Array> {
    const key = `${Buffer.from(doc).toString('hex')}/${epoch}`
    const head = this.heads.get(key) ?? { seq: 0, hash: ZERO_HASH }
    const author = await this.authors.forEpoch(room.conv, epoch)
    const header = { kind: BATCH_KIND, conv: room.conv, doc, epoch, chain: author.chain, seq: head.seq + 1, prev: head.hash } as const
    const sealed = await sealEnvelope(header, new TextEncoder().encode(text), room.epochKey, author)
    this.heads.set(key, { seq: header.seq, hash: sealed.hash })
    return sealed.bytes
  }
}

/**
 * A conversation: ids, an epoch key, the capability derived from it and an admin key. With a
 * `creator`, the id derives from that device and an origin ([K6]) and its joins carry them, so
 * the creator's first join registers the conversation ([S3]). Without one, the first join
 * registers it directly in the store, as if its creator had joined earlier.
 */
export class Room {
  readonly origin = randomBytes(16)
  readonly conv: Uint8Array
  readonly doc = randomBytes(16)
  readonly adminSecret = randomBytes(32)
  constructor(
    readonly epoch = 0,
    readonly epochKey: EpochKey = generateEpochKey(),
    readonly creator?: Device,
  ) {
    this.conv = creator ? conversationIdOf(creator.keys.signPublic, this.origin) : randomBytes(16)
  }
  get capability() {
    return deriveCapability(this.epochKey, this.conv, this.epoch)
  }
  get admin() {
    return deriveAdminCapability(this.adminSecret, this.conv).publicKey
  }
  async join(peer: Peer): Promise<ServerMessage[]> {
    const cap = this.capability
    if (!this.creator && !(await peer.ctx.store.getConv(this.conv))) await peer.ctx.store.registerConv(this.conv, cap.publicKey, this.epoch, this.admin)
    const proof = await cap.signer.sign(capabilityProofBytes(peer.challenge, this.conv, this.epoch))
    return peer.ask({ type: 'join', conv: this.conv, epoch: this.epoch, cap: cap.publicKey, proof, ...(this.creator ? { admin: this.admin, origin: this.origin } : {}) })
  }
}

/** A connected, authenticated device that joined `room`. */
export async function online(srv: Server, device: Device, room: Room): Promise<Peer> {
  const peer = srv.connect()
  await device.hello(peer)
  await room.join(peer)
  return peer
}
