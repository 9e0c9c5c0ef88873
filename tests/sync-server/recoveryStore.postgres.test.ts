import { beforeEach } from 'vitest'
import { openPostgresStore, type PostgresStore } from '../../sync-server/store/postgres.js'
import { describePostgres, schemaPerFile } from '../helpers/postgres.js'
import { recoveryStoreContract } from './recoveryStore.contract.js'

describePostgres('RecoveryBlobStore on PostgreSQL', () => {
  // The contract opens its store synchronously: each test's store is opened just before, on one
  // schema for the file that is emptied after each test.
  const shared = schemaPerFile('rb')
  let store: PostgresStore
  beforeEach(async () => {
    store = await openPostgresStore(await shared.url(), { maxConnections: 3 })
  })
  recoveryStoreContract('postgres', () => {
    const opened = store
    return { store: opened.recovery, close: () => opened.close().finally(() => shared.empty()) }
  })
})
