import { existsSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { generateStorageMaster, toHex } from '../../crypto/index.js'
import { Messenger } from '../core/messenger.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import { atRestInfo, changeUnlockers, openAtRest, type AtRestSecret } from '../core/storage/atRest.js'
import type { LocalStore } from '../core/storage/LocalStore.js'
import { nodeSocket } from '../node/socket.js'
import { usageError } from './errors.js'
import { result, type Result } from './output.js'

/** What `lock` and `unlock` work on: the home's store before any engine opens it. */
export interface StoreHome {
  readonly store: LocalStore
  /** What opens the store now (FIELDCHAT_PASSPHRASE, a key file, or the home's key file). */
  readonly current: AtRestSecret
  /** The home's own key file (`<home>/device.key`), and whether `current` came from it. */
  readonly homeKeyFile: string
  readonly fromHomeKeyFile: boolean
  readonly env: NodeJS.ProcessEnv
}

/** Shorter than this is a PIN an offline attacker with the store's files tries in hours ([M29]). */
export const MIN_PASSPHRASE = 8

/**
 * `lock` ([M29]): from now on the store opens only with a passphrase (FIELDCHAT_NEW_PASSPHRASE,
 * then FIELDCHAT_PASSPHRASE on every run). Locking a store kept by a key file seals every record
 * again under a fresh master and deletes the home's key file, so neither it nor a copy of it
 * opens anything; changing the passphrase of a locked store keeps the records.
 */
export async function lock(home: StoreHome): Promise<Result> {
  const next = home.env.FIELDCHAT_NEW_PASSPHRASE
  if (!next || [...next].length < MIN_PASSPHRASE) throw usageError(`lock takes the new passphrase from FIELDCHAT_NEW_PASSPHRASE (at least ${MIN_PASSPHRASE} characters)`)
  const wasLocked = (await atRestInfo(home.store)).locked
  await changeUnlockers(home.store, home.current, [{ kind: 'passphrase', passphrase: next }], { rekey: !wasLocked })
  if (home.fromHomeKeyFile && existsSync(home.homeKeyFile)) rmSync(home.homeKeyFile)
  const human = wasLocked ? 'passphrase changed; run with FIELDCHAT_PASSPHRASE set to the new one' : 'locked: this device\'s store now opens only with its passphrase (FIELDCHAT_PASSPHRASE); its key file is deleted'
  return result(human, { locked: true, changed: wasLocked })
}

/**
 * `unlock` ([M29]): the store opens with a new key file in the home again (no passphrase). Refused
 * (M511) while an organisation of this device requires an app lock (team [T21]).
 */
export async function unlock(home: StoreHome): Promise<Result> {
  if (!(await atRestInfo(home.store)).locked) return result('not locked: this store opens with its key file', { locked: false, changed: false })
  const store = await openAtRest(home.store, home.current)
  const messenger = await Messenger.open({ store, url: 'ws://127.0.0.1:9/sync', socket: nodeSocket })
  const required = messenger.identity ? messenger.team.devicePolicy().requireLock : false
  await messenger.stop()
  if (required) throw new ClientError(ClientErrorCode.LOCK_REQUIRED)
  const master = generateStorageMaster()
  writeFileSync(home.homeKeyFile, `${toHex(master)}\n`, { mode: 0o600 })
  chmodSync(home.homeKeyFile, 0o600)
  try {
    await changeUnlockers(home.store, home.current, [{ kind: 'key', master }])
  } catch (err) {
    rmSync(home.homeKeyFile, { force: true })
    throw err
  } finally {
    master.fill(0)
  }
  return result(`unlocked: this device's store opens with ${home.homeKeyFile} (keep it apart from the store, or lock again)`, { locked: false, changed: true, keyFile: home.homeKeyFile })
}
