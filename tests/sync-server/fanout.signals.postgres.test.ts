import { afterEach, expect, test } from 'vitest'
import type { ServerMessage } from '../../protocol/index.js'
import { createBudgets } from '../../sync-server/budgets.js'
import type { Connection, ConnectionContext } from '../../sync-server/connection.js'
import { DecoyPoolCache } from '../../sync-server/decoyPools.js'
import { MailboxIndex } from '../../sync-server/fanout/mailboxIndex.js'
import { parseNotice, signalNotice } from '../../sync-server/fanout/notice.js'
import { PostgresFanout } from '../../sync-server/fanout/postgres.js'
import { Hub } from '../../sync-server/hub.js'
import { defaultLimits } from '../../sync-server/limits.js'
import { ServerMetrics } from '../../sync-server/metrics/serverMetrics.js'
import { openPostgresStore } from '../../sync-server/store/postgres.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import { captureLogs, Device, online, Peer, Room, type Server } from './harness.js'

/**
 * [S48] Signals across two instances of one PostgreSQL store (their connections in this process):
 * alice on instance one, bob on instance two, carol on two in another conversation.
 */
const relayed = (p: Peer) => p.trace.filter((m): m is Extract<ServerMessage, { type: 'relay' }> => m.type === 'relay')

test('[S48] a signal notice carries the conversation and the body, parses back, and a malformed one is refused', () => {
  const conv = new Uint8Array(16).fill(1)
  const body = new Uint8Array(2048).fill(0xfe)
  const text = signalNotice('00112233445566ff', conv, body)
  expect(text.length).toBeLessThan(7_900)
  expect(parseNotice(text)).toEqual({ kind: 'signal', instance: '00112233445566ff', conv, body })
  expect(parseNotice(`s|00112233445566ff|${'01'.repeat(16)}|${'A'.repeat(2800)}`)).toBeUndefined() // > 2 KiB
  expect(parseNotice(`s|00112233445566ff|${'01'.repeat(16)}|`)).toBeUndefined()
  expect(parseNotice(`s|00112233445566ff|${'01'.repeat(16)}|ab+/`)).toBeUndefined()
})

describePostgres('[S48] signals across instances on PostgreSQL', () => {
  const cleanup: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c()
  })

  const instance = async (url: string): Promise<Server & { rows: () => Promise<string> }> => {
    const store = await openPostgresStore(url, { maxConnections: 4 })
    const targets = { hub: new Hub(), mailboxes: new MailboxIndex<Connection>(), joins: new Map<string, Set<Connection>>() }
    const { log, lines } = captureLogs()
    const fanout = await PostgresFanout.start({ url, channel: store.place.channel, pool: store.pool, store, targets, log, onHearing: () => undefined })
    const ctx: ConnectionContext = { ...targets, fanout, decoyPools: new DecoyPoolCache(), store, log, limits: defaultLimits, budgets: createBudgets(defaultLimits), metrics: new ServerMetrics() }
    cleanup.push(() => store.close(), () => fanout.close())
    const rows = async () => JSON.stringify((await store.pool.query('SELECT (SELECT count(*) FROM convs) c, (SELECT count(*) FROM envelopes) e, (SELECT count(*) FROM mail) m, (SELECT count(*) FROM mail_body) b')).rows)
    return { ctx, logs: lines, connect: () => new Peer(ctx), rows }
  }

  test('[S48] a signal sent on one instance reaches the joined connections of the other, and no table gains a row', async () => {
    const schema = await pgSchema('sig')
    cleanup.push(() => schema.drop())
    const [one, two] = [await instance(schema.url), await instance(schema.url)]
    const room = new Room()
    const other = new Room()
    const a = await online(one, new Device('alice'), room)
    const b = await online(two, new Device('bob'), room)
    const c = await online(two, new Device('carol'), other)
    const before = await one.rows()
    const body = new Uint8Array(557).fill(0x5a)
    a.send({ type: 'signal', conv: room.conv, body })
    await b.next(1, b.trace.length)
    expect(relayed(b)).toEqual([{ type: 'relay', conv: room.conv, body }])
    await c.ask({ type: 'ping', t: 1 })
    expect(relayed(c)).toEqual([])
    expect(relayed(a)).toEqual([])
    expect(await one.rows()).toBe(before)
    // Both ways.
    b.send({ type: 'signal', conv: room.conv, body: new Uint8Array(557).fill(0x6b) })
    await a.next(1, a.trace.length)
    expect(relayed(a).map((m) => m.body[0])).toEqual([0x6b])
  })
})
