import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { openPostgresStore } from '../../sync-server/store/postgres.js'
import { openSqliteStore } from '../../sync-server/store/sqlite.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'

/** [S21] ChangeStore.readMailItems, the read behind live mail from another instance, on every store. Personas: bob and carol receive. */
function readMailItemsContract(name: string, open: () => Promise<{ store: ChangeStore; close(): Promise<unknown> }>): void {
  test(`[S21] ${name}: readMailItems returns the named items of one mailbox, ascending, without others' or deleted ones`, async () => {
    const { store, close } = await open()
    try {
      const [bob, carol] = [randomBytes(32), randomBytes(32)]
      const bodies = [randomBytes(10), randomBytes(20)]
      const posted = (await store.postMail([bob, carol], bodies, 100))!
      const [b1, b2] = posted.ids[0]!
      const read = await store.readMailItems(bob, [b2!, b1!, ...posted.ids[1]!, 999_999])
      expect(read.map((m) => ({ id: m.id, body: new Uint8Array(m.body), fanout: m.fanout }))).toEqual([
        { id: b1, body: bodies[0], fanout: 2 },
        { id: b2, body: bodies[1], fanout: 2 },
      ])
      await store.deleteMail(bob, [b1!])
      expect((await store.readMailItems(bob, [b1!, b2!])).map((m) => m.id)).toEqual([b2])
      expect(await store.readMailItems(bob, [])).toEqual([])
    } finally {
      await close()
    }
  })
}

describe('ChangeStore.readMailItems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-mailitems-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  readMailItemsContract('memory', async () => {
    const store = openMemoryStore()
    return { store, close: () => store.close() }
  })
  readMailItemsContract('sqlite', async () => {
    const store = openSqliteStore(join(dir, 'store.sqlite'))
    return { store, close: () => store.close() }
  })
})

describePostgres('ChangeStore.readMailItems on PostgreSQL', () => {
  readMailItemsContract('postgres', async () => {
    const schema = await pgSchema('mi')
    const store = await openPostgresStore(schema.url, { maxConnections: 2 })
    return { store, close: () => store.close().finally(() => schema.drop()) }
  })
})
