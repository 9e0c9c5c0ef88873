import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import pg from 'pg'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { deriveAdminCapability, deriveCapability, generateEpochKey, mailDest, randomBytes, rekeyProofBytes } from '../../crypto/index.js'
import { ErrorCode, type ServerMessage } from '../../protocol/index.js'
import { createBudgets } from '../../sync-server/budgets.js'
import type { Connection, ConnectionContext } from '../../sync-server/connection.js'
import { DecoyPoolCache } from '../../sync-server/decoyPools.js'
import { MailboxIndex } from '../../sync-server/fanout/mailboxIndex.js'
import { parseNotice } from '../../sync-server/fanout/notice.js'
import { PostgresFanout } from '../../sync-server/fanout/postgres.js'
import { Hub } from '../../sync-server/hub.js'
import { defaultLimits } from '../../sync-server/limits.js'
import { ServerMetrics } from '../../sync-server/metrics/serverMetrics.js'
import { startSyncServer } from '../../sync-server/server.js'
import { openPostgresStore } from '../../sync-server/store/postgres.js'
import { rawClient } from '../integration/helpers/rawClient.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import { captureLogs, Device, online, Peer, Room, type Server } from './harness.js'

/**
 * [S21] Fan-out across instances, with the connections of two instances in this process (each
 * its own store pool, hub, mailboxes and LISTEN connection) on one PostgreSQL schema. Personas:
 * alice writes on instance one, bob on instance two; carol and dave read, one on each.
 */
describePostgres('[S21] fan-out across instances on PostgreSQL', () => {
  const cleanup: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c()
  })

  const twoInstances = async (): Promise<[Server, Server, { url: string; channel: string }]> => {
    const schema = await pgSchema('fan')
    cleanup.push(() => schema.drop())
    const start = async (): Promise<Server> => {
      const store = await openPostgresStore(schema.url, { maxConnections: 4 })
      const targets = { hub: new Hub(), mailboxes: new MailboxIndex<Connection>(), joins: new Map<string, Set<Connection>>() }
      const { log, lines } = captureLogs()
      const fanout = await PostgresFanout.start({ url: schema.url, channel: store.place.channel, pool: store.pool, store, targets, log, onHearing: () => undefined })
      const limits = defaultLimits
      const ctx: ConnectionContext = { ...targets, fanout, decoyPools: new DecoyPoolCache(), store, log, limits, budgets: createBudgets(limits), metrics: new ServerMetrics() }
      cleanup.push(() => store.close(), () => fanout.close())
      return { ctx, logs: lines, connect: () => new Peer(ctx) }
    }
    const [one, two] = await Promise.all([start(), start()])
    const { place } = await openPostgresStore(schema.url).then(async (s) => (await s.close(), s))
    return [one, two, { url: schema.url, channel: place.channel }]
  }

  const live = (trace: ServerMessage[]) => trace.flatMap((m) => (m.type === 'envelopes' && m.live ? m.items.map((i) => i.sseq) : []))
  const push = (peer: Peer, id: number, envelopes: Uint8Array[]) => peer.ask({ type: 'push', id, envelopes })

  test('[S21] an envelope pushed on one instance reaches subscribers on both, live and once; the pusher does not get it back', async () => {
    const [one, two] = await twoInstances()
    const room = new Room()
    const [alice, carol, dave] = [new Device('alice'), new Device('carol'), new Device('dave')]
    const a = await online(one, alice, room)
    const c = await online(one, carol, room)
    const d = await online(two, dave, room)
    for (const p of [a, c, d]) await p.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    expect(await push(a, 1, [await alice.envelope(room), await alice.envelope(room)])).toEqual([{ type: 'ack', id: 1, results: [{ sseq: 1 }, { sseq: 2 }] }])
    await vi.waitFor(() => expect(live(d.trace)).toEqual([1, 2]))
    expect(live(c.trace)).toEqual([1, 2])
    expect(live(a.trace)).toEqual([])
    expect(d.types()).toEqual(['challenge', 'welcome', 'joined', 'caught-up', 'envelopes'])
  })

  test('[S21] two instances appending to one document at once: every subscriber on either gets every sseq once, in order', async () => {
    const [one, two] = await twoInstances()
    const room = new Room()
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((n) => new Device(n))
    const a = await online(one, alice!, room)
    const b = await online(two, bob!, room)
    const c = await online(one, carol!, room)
    const d = await online(two, dave!, room)
    for (const p of [a, b, c, d]) await p.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    const writer = async (peer: Peer, device: Device) => {
      for (let i = 0; i < 25; i++) await push(peer, i, [await device.envelope(room)])
    }
    await Promise.all([writer(a, alice!), writer(b, bob!)])
    const all = Array.from({ length: 50 }, (_, i) => i + 1)
    await vi.waitFor(() => {
      expect(live(c.trace)).toEqual(all)
      expect(live(d.trace)).toEqual(all)
    }, { timeout: 10_000 })
    // The writers are subscribers too: with what they wrote themselves, each has every sseq, in order, none twice.
    const acked = (p: Peer) => p.trace.flatMap((m) => (m.type === 'ack' ? m.results.flatMap((r) => ('sseq' in r ? [r.sseq] : [])) : []))
    for (const p of [a, b]) {
      expect(acked(p)).toHaveLength(25)
      await vi.waitFor(() => expect([...new Set([...live(p.trace), ...acked(p)])].sort((x, y) => x - y)).toEqual(all), { timeout: 10_000 })
      expect(live(p.trace)).toEqual([...new Set(live(p.trace))].sort((x, y) => x - y))
    }
  })

  test('[S11][S21] mail posted on one instance is delivered live to its recipient on the other, by destination, and to nobody else', async () => {
    const [one, two] = await twoInstances()
    const [alice, bob, carol] = [new Device('alice'), new Device('bob'), new Device('carol')]
    const a = one.connect()
    await alice.hello(a)
    const b = two.connect()
    await bob.hello(b)
    const c = two.connect()
    await carol.hello(c)
    const body = randomBytes(300)
    const [ack] = await a.ask({ type: 'mail', id: 5, to: [bob.mailbox], items: [body] })
    expect(ack).toMatchObject({ type: 'ack', id: 5, results: [{ sseq: expect.any(Number) }] })
    const [delivered] = await b.next(1, 2)
    expect(delivered).toEqual({ type: 'mailbox', items: [{ id: expect.any(Number), body: expect.anything(), fanout: 1 }] })
    expect(delivered?.type === 'mailbox' && new Uint8Array(delivered.items[0]!.body)).toEqual(body)
    expect((await one.ctx.store.readMail(mailDest(bob.mailbox), 10)).map((m) => m.id)).toEqual(delivered?.type === 'mailbox' ? [delivered.items[0]!.id] : [])
    expect(c.types()).toEqual(['challenge', 'welcome'])
  })

  test('[S10][S21] a rotation on one instance revokes the joins of the conversation on the other', async () => {
    const [one, two] = await twoInstances()
    const room = new Room()
    const [alice, bob] = [new Device('alice'), new Device('bob')]
    const a = await online(one, alice, room)
    const b = await online(two, bob, room)
    const epoch = 7
    const cap = deriveCapability(generateEpochKey(), room.conv, epoch)
    const admin = deriveAdminCapability(room.adminSecret, room.conv)
    const proof = await admin.signer.sign(rekeyProofBytes(a.challenge, room.conv, epoch, cap.publicKey, admin.publicKey))
    expect(await a.ask({ type: 'rekey', conv: room.conv, from: room.epoch, epoch, cap: cap.publicKey, admin: admin.publicKey, proof })).toMatchObject([{ type: 'joined', epoch }])
    const [revoked] = await b.next(1, 3)
    expect(revoked).toMatchObject({ type: 'error', code: ErrorCode.CAPABILITY_REVOKED, fatal: false })
    // Bob's connection lost the join: a push under it is refused.
    expect(await push(b, 1, [await bob.envelope(room)])).toEqual([{ type: 'ack', id: 1, results: [{ code: ErrorCode.NOT_JOINED }] }])
  })

  test('[S21] notices carry ids and sseqs only: no envelope, no body, no mailbox address; a notice that does not parse is dropped and logged', async () => {
    const [one, two, { url, channel }] = await twoInstances()
    const listener = new pg.Client({ connectionString: url })
    await listener.connect()
    cleanup.push(() => listener.end())
    const heard: string[] = []
    listener.on('notification', (n) => heard.push(n.payload ?? ''))
    await listener.query(`LISTEN ${listener.escapeIdentifier(channel)}`)
    const room = new Room()
    const [alice, bob] = [new Device('alice'), new Device('bob')]
    const a = await online(one, alice, room)
    const envelope = await alice.envelope(room)
    await push(a, 1, [envelope])
    const body = randomBytes(64)
    await a.ask({ type: 'mail', id: 2, to: [bob.mailbox], items: [body] })
    await vi.waitFor(() => expect(heard.length).toBe(2))
    expect(heard.map((p) => parseNotice(p)?.kind)).toEqual(['envelopes', 'mail'])
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    for (const secret of [envelope.subarray(200, 232), body.subarray(0, 32), bob.mailbox]) expect(heard.join('\n')).not.toContain(hex(secret))
    expect(heard[1]).toContain(hex(mailDest(bob.mailbox)))

    await listener.query('SELECT pg_notify($1, $2)', [channel, 'e|not a notice'])
    await vi.waitFor(() => expect(two.logs.join('')).toContain('S123_BAD_NOTICE'))
  })
})

describe('[S21] notices', () => {
  test('[S21] a post to many mailboxes becomes notices within PostgreSQL\'s 8,000 bytes, and they parse back to every destination and id', async () => {
    const { mailNotices } = await import('../../sync-server/fanout/notice.js')
    const dests = Array.from({ length: 500 }, () => randomBytes(32))
    const ids = dests.map((_, r) => Array.from({ length: 64 }, (_, i) => 1_000_000 + r * 64 + i))
    const notices = mailNotices('0123456789abcdef', dests, ids)
    expect(notices.every((n) => Buffer.byteLength(n) <= 8000)).toBe(true)
    const boxes = notices.flatMap((n) => {
      const parsed = parseNotice(n)
      return parsed?.kind === 'mail' ? parsed.boxes : []
    })
    expect(boxes.map((b) => Buffer.from(b.dest).toString('hex'))).toEqual(dests.map((d) => Buffer.from(d).toString('hex')))
    expect(boxes.map((b) => b.ids)).toEqual(ids)
  })

  test('[S21] what does not parse is no notice: other kinds, bad lengths, extra fields, too many ids', () => {
    const inst = '0123456789abcdef'
    const id16 = '00'.repeat(16)
    expect(parseNotice(`e|${inst}|${id16}|${id16}|1|2`)).toMatchObject({ kind: 'envelopes', first: 1, last: 2 })
    for (const bad of [
      `x|${inst}|${id16}`, `e|${inst}|${id16}|${id16}|2|1`, `e|${inst}|${id16}|${id16}|0|1`, `e|${inst}|${id16}|${id16}|1|2|3`, `e|${inst}|${id16.slice(2)}|${id16}|1|2`,
      `r|${inst.toUpperCase()}|${id16}`, `m|${inst}|${'00'.repeat(32)}:${Array.from({ length: 65 }, (_, i) => i + 1).join(',')}`, `m|${inst}|${'00'.repeat(32)}:1:2`, 'e'.repeat(9000),
    ]) expect(parseNotice(bad)).toBeUndefined()
  })
})

describePostgres('[S21] an instance that cannot hear the others', () => {
  test('[S21] [S7] its LISTEN connection cut: devices are closed (1012), new ones refused (1013), /readyz 503, the log says so; once it listens again it serves', async () => {
    const schema = await pgSchema('deaf')
    const link = await cuttableLink(new URL(schema.url))
    const { log, lines } = captureLogs()
    const url = new URL(schema.url)
    url.host = `127.0.0.1:${link.port}`
    const running = await startSyncServer({ port: 0, host: '127.0.0.1', databaseUrl: url.toString(), log })
    const ws = `ws://127.0.0.1:${running.port}/sync`
    try {
      const device = await rawClient(ws)
      await device.hello()
      link.cut()
      expect(await device.closed()).toBe(1012)
      await vi.waitFor(() => expect(lines.join('')).toContain('S121_NOTICES_DOWN'))
      const refused = await rawClient(ws).catch((err: Error) => err)
      expect(refused instanceof Error ? refused.message : 'connected').toMatch(/closed \(1013\)/)
      // [S7] A load balancer sends it nobody meanwhile.
      const readyz = `http://127.0.0.1:${running.port}/readyz`
      expect((await fetch(readyz)).status).toBe(503)

      link.restore()
      await vi.waitFor(() => expect(lines.join('')).toContain('listening again'), { timeout: 15_000 })
      const back = await rawClient(ws)
      await back.hello()
      back.socket.terminate()
      await vi.waitFor(async () => expect((await fetch(readyz)).status).toBe(200), { timeout: 5_000 })
    } finally {
      await running.close()
      link.close()
      await schema.drop()
    }
  })
})

/** A TCP path to PostgreSQL that a test can cut (every connection dropped, new ones refused) and restore. */
async function cuttableLink(target: URL): Promise<{ port: number; cut(): void; restore(): void; close(): void }> {
  const sockets = new Set<Socket>()
  let open = true
  const server = createServer((client) => {
    if (!open) return void client.destroy()
    const upstream = connect(Number(target.port || 5432), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => (sockets.delete(s), client.destroy(), upstream.destroy()))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    cut() {
      open = false
      for (const s of sockets) s.destroy()
    },
    restore() {
      open = true
    },
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}
