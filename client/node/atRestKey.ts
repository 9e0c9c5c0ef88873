import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fromHex, generateStorageMaster, toHex } from '../../crypto/index.js'
import type { AtRestSecret } from '../core/storage/atRest.js'

/**
 * [M28] Where the CLI's store key comes from, first match wins:
 * 1. `FIELDCHAT_PASSPHRASE` (environment, never a flag: flags show in process lists): a
 *    passphrase, stretched with Argon2id;
 * 2. `keyFile` (`--key-file` or `FIELDCHAT_KEY_FILE`): 64 hex characters, which must exist;
 * 3. `<home>/device.key`, made on first use (64 hex characters, mode 0600).
 * The third keeps the store's file unreadable on its own (a copied or backed-up database), not
 * against whoever copies the whole home folder: keep the key file elsewhere, or use a passphrase.
 */
export function cliAtRestSecret(homeKeyFile: string, keyFile: string | undefined, storeEncrypted: boolean, env: NodeJS.ProcessEnv = process.env): AtRestSecret {
  const passphrase = env.FIELDCHAT_PASSPHRASE
  if (passphrase) return { kind: 'passphrase', passphrase }
  const file = keyFile ?? env.FIELDCHAT_KEY_FILE
  if (file) return { kind: 'key', master: readKeyFile(file) }
  // A store already encrypted without its key file here (a passphrase store, or a key kept
  // elsewhere): no key file is made for it, and a key that opens nothing gets the store's M203. A
  // store in clear (from before encryption at rest) gets a key file first: it is migrated under
  // a key that is kept, never under a throwaway one.
  if (storeEncrypted && !existsSync(homeKeyFile)) return { kind: 'key', master: generateStorageMaster() }
  if (!existsSync(homeKeyFile)) {
    mkdirSync(dirname(homeKeyFile), { recursive: true })
    writeFileSync(homeKeyFile, `${toHex(generateStorageMaster())}\n`, { mode: 0o600, flag: 'wx' })
    chmodSync(homeKeyFile, 0o600)
  }
  return { kind: 'key', master: readKeyFile(homeKeyFile) }
}

function readKeyFile(file: string): Uint8Array {
  const master = fromHex(readFileSync(file, 'utf8').trim())
  if (!master || master.length !== 32) throw new Error(`${file} is not a store key (64 hex characters)`)
  return master
}
