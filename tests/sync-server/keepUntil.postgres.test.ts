import { afterEach, expect, test } from 'vitest'
import pg from 'pg'
import { randomBytes } from '../../crypto/verify.js'
import type { AppendItem } from '../../sync-server/store/ChangeStore.js'
import { openPostgresStore } from '../../sync-server/store/postgres.js'
import { POSTGRES_FORMAT } from '../../sync-server/store/postgresSchema.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import { world } from './changeStore.contract.js'

/**
 * [S56][S20] Keep-until days on PostgreSQL, where several instances append and sweep at once
 * (the contract suite runs in changeStore.postgres.test.ts).
 */
describePostgres('[S56] keep-until days on PostgreSQL', () => {
  const cleanup: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c()
  })
  const twoInstances = async () => {
    const schema = await pgSchema('keep')
    const one = await openPostgresStore(schema.url, { maxConnections: 4 })
    const two = await openPostgresStore(schema.url, { maxConnections: 4 })
    cleanup.push(() => schema.drop(), () => one.close(), () => two.close())
    return { schema, one, two }
  }
  const withKeep = (items: AppendItem[], keep: number) => items.map((item) => ({ ...item, keep }))

  test('[S56][S20] an append racing a sweep on another instance: either the append lands first and the document stays, or the drop does and the append gets "dropped" — never both, never a half-dropped document', async () => {
    const { one, two } = await twoInstances()
    for (let round = 0; round < 16; round++) {
      const w = world()
      await one.append(withKeep(w.chain(w.alice, 2), 20_001))
      // Half the rounds push forever, half a later day: both must stop the drop if they land first.
      const next = withKeep(w.chain(w.alice, 1), round % 2 ? 0 : 20_050)
      const [appended, dropped] = await Promise.all([one.append(next), two.dropExpired(20_002)])
      const left = (await two.read(w.conv, w.doc, 0, 10)).length
      if (dropped === 1) {
        expect(appended).toEqual([{ ok: false, reason: 'dropped' }])
        expect(left).toBe(0)
      } else {
        expect(dropped).toBe(0)
        expect(appended).toEqual([{ ok: true, sseq: 3, duplicate: false }])
        expect(left).toBe(3)
        expect(await one.dropExpired(20_049)).toBe(0)
      }
    }
  })

  test('[S56][S20] two instances sweeping at once drop each document once; every row of it goes, the tombstone stays', async () => {
    const { one, two } = await twoInstances()
    const docs = Array.from({ length: 30 }, () => world())
    for (const w of docs) {
      const items = withKeep(w.chain(w.alice, 3), 20_001)
      await one.append(items)
      await one.append([{ ...items[1]!, kind: 2, prev: items[1]!.hash, hash: randomBytes(32), bytes: randomBytes(80) }])
    }
    const kept = world()
    await one.append(withKeep(kept.chain(kept.alice, 2), 0))
    const [a, b] = await Promise.all([one.dropExpired(20_002), two.dropExpired(20_002)])
    expect(a + b).toBe(30)
    const count = async (table: string) => (await one.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n
    expect({ envelopes: await count('envelopes'), snapshots: await count('snapshots'), heads: await count('heads'), docs: await count('docs'), keeps: await count('keeps'), dropped: await count('dropped') })
      .toEqual({ envelopes: 2, snapshots: 0, heads: 1, docs: 1, keeps: 0, dropped: 30 })
    expect((await one.pool.query('SELECT * FROM dropped LIMIT 1')).fields.map((f) => f.name)).toEqual(['doc', 'conv'])
    expect((await two.append(withKeep(docs[0]!.chain(docs[0]!.bob, 1), 0)))[0]).toEqual({ ok: false, reason: 'dropped' })
  })

  test('[S56][S13][S20] a format-1 schema (from before keep-until days) is upgraded in place to format 2; its documents are forever', async () => {
    const schema = await pgSchema('keepfmt')
    cleanup.push(() => schema.drop())
    const w = world()
    const first = await openPostgresStore(schema.url)
    await first.append(w.chain(w.alice, 2))
    await first.close()
    const client = new pg.Client({ connectionString: schema.url })
    await client.connect()
    cleanup.push(() => client.end())
    await client.query('DROP TABLE keeps; DROP TABLE dropped; UPDATE store_format SET format = 1')

    // Two instances start together on the old schema: one upgrades, the other finds it done.
    const [one, two] = await Promise.all([openPostgresStore(schema.url), openPostgresStore(schema.url)])
    cleanup.push(() => one.close(), () => two.close())
    expect(POSTGRES_FORMAT).toBe(2)
    expect((await client.query('SELECT format FROM store_format')).rows).toEqual([{ format: 2 }])
    expect(await one.append(withKeep(w.chain(w.alice, 1), 20_001))).toEqual([{ ok: true, sseq: 3, duplicate: false }])
    const fresh = randomBytes(16)
    await two.append(withKeep(w.chain(w.alice, 1, fresh), 20_001))
    expect(await two.dropExpired(20_100)).toBe(1)
    expect((await one.read(w.conv, w.doc, 0, 10)).length).toBe(3)
    expect(await one.read(w.conv, fresh, 0, 10)).toEqual([])
  })
})
