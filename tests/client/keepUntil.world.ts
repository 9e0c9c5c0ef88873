import { afterEach } from 'vitest'
import { splitEnvelope } from '../../crypto/index.js'
import { ErrorCode, PROTOCOL_VERSION, docIdOf, type ClientMessage, type DocId } from '../../protocol/index.js'
import { HybridClock } from '../../client/core/documents/hlc.js'
import { Messenger, type MessengerOptions } from '../../client/core/messenger.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import type { SocketFactory } from '../../client/core/sync/transport.js'
import { FakeSocket } from './helpers/fakeServer.js'
import { until } from './helpers/devices.js'

/**
 * [M71] Alice's device against a server the test plays (protocol [S56]): it acks every envelope
 * (with 1206 for a document it has dropped), answers every subscribe as caught up, and keeps a
 * trace of what was pushed — each envelope's document, kind and keep day — and subscribed.
 */
export const DAY = 86_400_000
/** Noon UTC, so a change's day and the day of "now + a few minutes" are the same day. */
export const NOON = Date.UTC(2027, 0, 11, 12)

export interface Pushed { readonly doc: DocId; readonly kind: number; readonly keep: number | undefined; readonly result: 'stored' | 'dropped' }

export interface KeepServer {
  readonly factory: SocketFactory
  readonly sockets: FakeSocket[]
  readonly pushed: Pushed[]
  /** Documents subscribed, per connection (index of the socket). */
  readonly subscribed: DocId[][]
  /** Documents the server has dropped: pushes to them are answered 1206. */
  readonly dropped: Set<DocId>
}

export function keepServer(): KeepServer {
  const server: KeepServer = { factory: () => undefined as never, sockets: [], pushed: [], subscribed: [], dropped: new Set() }
  let sseq = 1000
  const answer = (msg: ClientMessage, s: FakeSocket) => {
    const at = server.sockets.indexOf(s)
    switch (msg.type) {
      case 'hello':
        return s.deliver({ type: 'welcome', v: PROTOCOL_VERSION })
      case 'join':
        return s.deliver({ type: 'joined', conv: msg.conv, epoch: msg.epoch })
      case 'push': {
        const results = msg.envelopes.map((env, i) => {
          const header = splitEnvelope(env)!.header
          const doc = docIdOf(header.doc)
          const drop = server.dropped.has(doc)
          server.pushed.push({ doc, kind: header.kind, keep: msg.keep?.[i], result: drop ? 'dropped' : 'stored' })
          return drop ? { code: ErrorCode.DOC_DROPPED } : { sseq: ++sseq }
        })
        return s.deliver({ type: 'ack', id: msg.id, results })
      }
      case 'mail':
        return s.deliver({ type: 'ack', id: msg.id, results: msg.items.map(() => ({ sseq: ++sseq })) })
      case 'subscribe':
        ;(server.subscribed[at] ??= []).push(docIdOf(msg.doc))
        // [S56] A dropped document is answered caught-up at the reader's cursor, with nothing before.
        return s.deliver({ type: 'caught-up', conv: msg.conv, doc: msg.doc, cursor: msg.cursor })
      default:
        return
    }
  }
  ;(server as { factory: SocketFactory }).factory = () => {
    const s = new FakeSocket(answer)
    server.sockets.push(s)
    return s
  }
  return server
}

export interface Alice {
  readonly messenger: Messenger
  readonly store: LocalStore
  readonly server: KeepServer
  readonly wall: { t: number }
  readonly problems: { code: string; detail?: string }[]
}

type AliceOptions = Parameters<typeof alice>[0]

/**
 * The devices a test file makes, stopped after each test: `device` makes one (with `defaults`),
 * `stop` stops one early (it is not stopped again), `reopen` stops one and opens its store again
 * with the same server and clock.
 */
export function devicesForEachTest(defaults: AliceOptions = {}): {
  device(options?: AliceOptions): Promise<Alice>
  stop(a: Alice): Promise<void>
  reopen(a: Alice, options?: AliceOptions): Promise<Alice>
} {
  const open: Alice[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.messenger.stop()))
  })
  const device = async (options: AliceOptions = {}) => {
    const a = await alice({ ...defaults, ...options })
    open.push(a)
    return a
  }
  const stop = async (a: Alice) => {
    await a.messenger.stop()
    open.splice(open.indexOf(a), 1)
  }
  return { device, stop, reopen: async (a, options = {}) => (await stop(a), device({ store: a.store, server: a.server, wall: a.wall, ...options })) }
}

/** Alice's device, connected (challenge answered), online. */
export async function alice(options: { segmentCapacity?: number; snapshotEvery?: number; store?: LocalStore; server?: KeepServer; wall?: { t: number }; search?: MessengerOptions['search'] } = {}): Promise<Alice> {
  const server = options.server ?? keepServer()
  const wall = options.wall ?? { t: NOON }
  const store = options.store ?? createMemoryStore()
  const messenger = await Messenger.open({
    store, url: 'ws://fake/sync', socket: server.factory, backoff: { initialMs: 20, maxMs: 40 }, heartbeatMs: 1_000_000,
    clock: new HybridClock(() => wall.t),
    ...(options.segmentCapacity ? { segmentCapacity: options.segmentCapacity } : {}),
    ...(options.snapshotEvery ? { snapshotEvery: options.snapshotEvery } : {}),
    ...(options.search ? { search: options.search } : {}),
  })
  if (!messenger.identity) await messenger.createIdentity('alice')
  const problems: Alice['problems'] = []
  messenger.events.on('problem', (p) => problems.push(p))
  const a = { messenger, store, server, wall, problems }
  messenger.start()
  await connectLatest(a)
  return a
}

/** Answers the newest socket's handshake and waits until the device is online. */
export async function connectLatest(a: Alice): Promise<void> {
  const n = a.server.sockets.length
  await until(() => a.server.sockets.length >= n && a.server.sockets.length > 0, 'a socket')
  a.server.sockets.at(-1)!.challenge()
  await until(() => a.messenger.status.connection === 'online', 'online')
}

/** The connection drops; the engine reconnects and gets online again. */
export async function reconnect(a: Alice): Promise<void> {
  const s = a.server.sockets.at(-1)!
  const n = a.server.sockets.length
  s.close()
  s.onclose?.({})
  await until(() => a.server.sockets.length > n, 'a new socket')
  await connectLatest(a)
}

/** Every change sent and acknowledged. */
export async function delivered(a: Alice): Promise<void> {
  await until(() => a.messenger.status.pending === 0 && a.messenger.status.connection === 'online', 'everything acknowledged')
}

export const dayOf = (ms: number) => Math.floor(ms / DAY)
