import { openAtRest } from '../../client/core/storage/atRest.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { fromHex } from '../../crypto/index.js'

/** The CLI's store (client/cli/main.ts): one SQLite file, encrypted at rest under a key file's 32 bytes. */
export function openCliStore(file: string, keyHex: string): Promise<LocalStore> {
  const master = fromHex(keyHex)
  if (!master || master.length !== 32) throw new Error('a store key is 64 hex characters')
  return openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
}

/** The text of the i-th message the generator writes (the bench checks the newest one is read back). */
export const messageText = (i: number): string => `open bench message ${i}: the water pump at the north gate is fixed`
