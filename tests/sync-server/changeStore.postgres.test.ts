import { afterEach, describe, expect, test } from 'vitest'
import pg from 'pg'
import { randomBytes } from '../../crypto/verify.js'
import type { AppendItem } from '../../sync-server/store/ChangeStore.js'
import { openPostgresStore, type PostgresStore } from '../../sync-server/store/postgres.js'
import { StoreFormatError } from '../../sync-server/store/sqlite.js'
import { describePostgres, pgSchema, schemaPerFile } from '../helpers/postgres.js'
import { changeStoreContract, world } from './changeStore.contract.js'

describePostgres('ChangeStore on PostgreSQL', () => {
  /** The contract's stores: one schema for the file, emptied when each test closes its store. */
  const shared = schemaPerFile('cs')
  const freshStore = async (): Promise<PostgresStore> => {
    const store = await openPostgresStore(await shared.url(), { maxConnections: 3 })
    return { ...store, close: () => store.close().finally(() => shared.empty()) }
  }
  changeStoreContract('postgres', freshStore)

  describe('PostgreSQL store specifics', () => {
    const cleanup: (() => Promise<unknown>)[] = []
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c()
    })
    /** Two instances' stores on one schema, as two processes would open them. */
    const twoInstances = async () => {
      const schema = await pgSchema('cs2')
      const one = await openPostgresStore(schema.url, { maxConnections: 4 })
      const two = await openPostgresStore(schema.url, { maxConnections: 4 })
      cleanup.push(() => schema.drop(), () => one.close(), () => two.close())
      return { schema, one, two }
    }

    test('[S20] invariant 1: envelopes, chain heads, sseq counters and capabilities survive close and reopen', async () => {
      const schema = await pgSchema('cs')
      cleanup.push(() => schema.drop())
      const w = world()
      const [one, two, three] = w.chain(w.alice, 3)
      const cap = randomBytes(32)
      const first = await openPostgresStore(schema.url)
      await first.registerConv(w.conv, cap, 2)
      await first.append([one!, two!])
      await first.close()

      const second = await openPostgresStore(schema.url)
      cleanup.push(() => second.close())
      expect((await second.getConv(w.conv))?.epoch).toBe(2)
      expect((await second.read(w.conv, w.doc, 0, 10)).map((e) => new Uint8Array(e.bytes))).toEqual([one!.bytes, two!.bytes])
      expect(await second.append([two!, three!, { ...three!, hash: randomBytes(32) }])).toEqual([
        { ok: true, sseq: 2, duplicate: true },
        { ok: true, sseq: 3, duplicate: false },
        { ok: false, reason: 'equivocation' },
      ])
    })

    test('[S20] invariant 4 across instances: concurrent appends to one document from two instances get sseqs 1..n, contiguous, none twice', async () => {
      const { one, two } = await twoInstances()
      const w = world()
      // Eight chains (devices), four pushing through each instance, 25 envelopes each, one push per envelope.
      const chains = Array.from({ length: 8 }, () => randomBytes(32))
      const pushes = chains.map((chain, i) => {
        const store = i % 2 ? two : one
        const items = w.chain(chain, 25)
        return (async () => {
          const sseqs: number[] = []
          for (const item of items) {
            const [r] = await store.append([item])
            if (!r?.ok || r.duplicate) throw new Error(`refused: ${JSON.stringify(r)}`)
            sseqs.push(r.sseq)
          }
          return sseqs
        })()
      })
      const all = (await Promise.all(pushes)).flat().sort((a, b) => a - b)
      expect(all).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
      expect((await one.read(w.conv, w.doc, 0, 1000)).map((e) => e.sseq)).toEqual(all)
    })

    test('[S20] invariant 5 across instances: two instances storing the first envelopes of one new document at once agree on it', async () => {
      const { one, two } = await twoInstances()
      const w = world()
      const [a] = w.chain(w.alice, 1)
      const [b] = w.chain(w.bob, 1)
      const rival: AppendItem = { ...b!, conv: randomBytes(16) }
      const [ra, rb] = await Promise.all([one.append([a!]), two.append([rival])])
      // Whichever committed first owns the document; the other is refused, not stored under a second conversation.
      expect([ra![0], rb![0]].filter((r) => r?.ok)).toEqual([{ ok: true, sseq: 1, duplicate: false }])
      expect([ra![0], rb![0]].filter((r) => !r?.ok)).toEqual([{ ok: false, reason: 'wrong-conv' }])
    })

    test('[S20] a refused first envelope leaves no trace: the document is still free for its real conversation', async () => {
      const store = await freshStore()
      cleanup.push(() => store.close())
      const w = world()
      const [one] = w.chain(w.alice, 1)
      expect(await store.append([{ ...one!, conv: randomBytes(16), seq: 2 }])).toEqual([{ ok: false, reason: 'seq-gap' }])
      expect(await store.append([one!])).toEqual([{ ok: true, sseq: 1, duplicate: false }])
      expect((await store.pool.query('SELECT count(*)::int AS n FROM docs')).rows[0].n).toBe(1)
    })

    test('[S20] invariant 7 across instances: posts to one mailbox from two instances at once never pass its limit', async () => {
      const { one, two } = await twoInstances()
      const bob = randomBytes(32)
      const posts = Array.from({ length: 10 }, (_, i) => (i % 2 ? two : one).postMail([bob], [randomBytes(10), randomBytes(10)], 7))
      const stored = (await Promise.all(posts)).filter((p) => p !== undefined)
      expect(stored).toHaveLength(3)
      expect(await one.readMail(bob, 100)).toHaveLength(6)
    })

    test('[S20] a post of 6,000 rows is written in parts and stored whole: every recipient reads it, each body once', async () => {
      const store = await freshStore()
      cleanup.push(() => store.close())
      const to = Array.from({ length: 2000 }, () => randomBytes(32))
      const bodies = [randomBytes(40), randomBytes(50), randomBytes(60)]
      const posted = (await store.postMail(to, bodies, 10))!
      expect(posted.ids.flat().length).toBe(6000)
      expect(new Set(posted.ids.flat()).size).toBe(6000)
      expect(await store.mailBodies()).toBe(3)
      expect(await store.mailDepth()).toBe(6000)
      for (const r of [0, 999, 1999]) {
        const read = await store.readMail(to[r]!, 10)
        expect(read.map((m) => m.id)).toEqual(posted.ids[r])
        expect(read.map((m) => new Uint8Array(m.body))).toEqual(bodies)
      }
    })

    test('[S13][S20] a schema holding other tables, or another format, is refused with S100 and left as it was', async () => {
      const schema = await pgSchema('fmt')
      cleanup.push(() => schema.drop())
      const client = new pg.Client({ connectionString: schema.url })
      await client.connect()
      cleanup.push(() => client.end())
      await client.query('CREATE TABLE someone_elses (x int)')
      const refused = openPostgresStore(schema.url)
      await expect(refused).rejects.toBeInstanceOf(StoreFormatError)
      await expect(refused).rejects.toThrow(/S100_STORE_FORMAT.*no fieldchat format record.*PostgreSQL store format 2/)
      expect((await client.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).rows).toEqual([{ tablename: 'someone_elses' }])

      await client.query('DROP TABLE someone_elses')
      await (await openPostgresStore(schema.url)).close()
      await client.query('UPDATE store_format SET format = 7')
      await expect(openPostgresStore(schema.url)).rejects.toThrow(/S100_STORE_FORMAT.*format 7.*reads PostgreSQL store format 2/)
    })

    test('[S8][S20] blind as the SQLite file: the tables and columns are exactly these (no device key, no sender, no time)', async () => {
      const store = await freshStore()
      cleanup.push(() => store.close())
      const w = world()
      await store.registerConv(w.conv, randomBytes(32), 0, randomBytes(32))
      await store.append(w.chain(w.alice, 2))
      await store.postMail([randomBytes(32)], [randomBytes(30)], 10)
      const columns = await store.pool.query<{ t: string; c: string }>(
        'SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position',
      )
      const layout: Record<string, string[]> = {}
      for (const r of columns.rows) (layout[r.t] ??= []).push(r.c)
      expect(layout).toEqual({
        convs: ['conv', 'cap', 'epoch', 'admin'],
        docs: ['doc', 'conv', 'last_sseq'],
        dropped: ['doc', 'conv'],
        envelopes: ['doc', 'sseq', 'chain', 'seq', 'hash', 'bytes'],
        heads: ['doc', 'chain', 'seq', 'hash'],
        keeps: ['doc', 'conv', 'day'],
        mail: ['id', 'dest', 'body_id', 'expires'],
        mail_body: ['id', 'body', 'refs', 'fanout'],
        recovery_blobs: ['addr', 'write_hash', 'data'],
        snapshots: ['doc', 'chain', 'seq', 'covers_sseq', 'hash', 'bytes'],
        store_format: ['one', 'format'],
      })
    })

    test('[S7][S20] checkWritable resolves while the database takes writes, and rejects once the store is closed', async () => {
      const schema = await pgSchema('cw')
      cleanup.push(() => schema.drop())
      const store = await openPostgresStore(schema.url)
      await expect(store.checkWritable()).resolves.toBeUndefined()
      await store.close()
      await expect(store.checkWritable()).rejects.toThrow()
    })
  })
})
