import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdOf, blobPaths } from '../../protocol/index.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import type { PgSchema } from '../integration/helpers/pgSchema.js'
import { blobCall, LiveRoom } from './blobHttp.js'
import { captureLogs } from './harness.js'

/** [B10][S20] A server run with --database-url keeps blobs in PostgreSQL, through the same endpoints. */
describePostgres('blobs on a PostgreSQL server', () => {
  let schema: PgSchema
  let server: RunningServer
  let alice: LiveRoom
  beforeAll(async () => {
    schema = await pgSchema('bh')
    server = await startSyncServer({ port: 0, host: '127.0.0.1', databaseUrl: schema.url, log: captureLogs().log })
    alice = await LiveRoom.open(`${server.url.replace('http', 'ws')}/sync`)
  })
  afterAll(async () => {
    alice?.close()
    await server?.close()
    await schema?.drop()
  })

  test('[B10] an upload in two PUTs is stored as chunk rows; whole and ranged downloads match; a delete leaves no row', async () => {
    const C = BLOB_CHUNK_BYTES
    const chunks = Array.from({ length: 18 }, () => randomBytes(C))
    const all = Buffer.concat(chunks)
    const id = blobIdOf(randomBytes(16))
    expect((await blobCall(server.url, alice, 'POST', blobPaths.create(id, 18))).status).toBe(201)
    expect((await blobCall(server.url, alice, 'PUT', blobPaths.put(id, 0), { body: all.subarray(0, 10 * C) })).json).toEqual({ chunks: 18, stored: 10, complete: false })
    expect((await blobCall(server.url, alice, 'PUT', blobPaths.put(id, 10), { body: all.subarray(10 * C) })).json).toEqual({ chunks: 18, stored: 18, complete: true })
    expect((await blobCall(server.url, alice, 'GET', blobPaths.data(id))).body.equals(all)).toBe(true)
    const part = await blobCall(server.url, alice, 'GET', blobPaths.data(id), { headers: { range: `bytes=${3 * C - 5}-${12 * C + 6}` } })
    expect(part.status).toBe(206)
    expect(part.body.equals(all.subarray(3 * C - 5, 12 * C + 7))).toBe(true)
    const rows = async () => {
      const client = new pg.Client({ connectionString: schema.url })
      await client.connect()
      try {
        return (await client.query<{ n: string }>('SELECT count(*) AS n FROM blob_chunks')).rows[0]!.n
      } finally {
        await client.end()
      }
    }
    expect(await rows()).toBe('18')
    expect((await blobCall(server.url, alice, 'DELETE', blobPaths.remove(id))).status).toBe(204)
    expect(await rows()).toBe('0')
  })
})
