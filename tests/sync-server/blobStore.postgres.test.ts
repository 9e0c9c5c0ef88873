import { beforeAll } from 'vitest'
import { openPostgresBlobStore } from '../../sync-server/blobs/postgresBlobs.js'
import { openPostgresStore } from '../../sync-server/store/postgres.js'
import { describePostgres, schemaPerFile } from '../helpers/postgres.js'
import { blobStoreContract } from './blobStore.contract.js'

describePostgres('BlobStore on PostgreSQL', () => {
  // One schema for the file, emptied after each test; the blob tables go beside a prepared store, as the server opens them.
  const shared = schemaPerFile('bl')
  beforeAll(async () => {
    await (await openPostgresStore(await shared.url(), { maxConnections: 1 })).close()
  })
  blobStoreContract('postgres', async () => {
    const store = await openPostgresBlobStore(await shared.url(), { maxConnections: 4 })
    return { store, close: () => store.close().finally(() => shared.empty()) }
  })
})
