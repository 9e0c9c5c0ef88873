import * as z from 'zod'
import { openRecoveryBlob, openRecoveryDevice, parseRecoveryKey, recoverySecrets, restoreDeviceKeys } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { identityRecord } from '../identity.js'
import { checkLocalFormat } from '../storage/format.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord } from '../storage/records.js'
import { orgsOf, readRecoveryContent, restoredRecords } from './blob.js'
import { deleteBlob, getBlob, type Fetch } from './server.js'

const deviceSchema = z.object({ signSecret: z.instanceof(Uint8Array), boxSecret: z.instanceof(Uint8Array) })

/**
 * [M32] Restores a person on a device with no profile yet, from the recovery key: the blob is
 * fetched and opened, the recovery device's keys become this device's identity, and the spaces'
 * ops and the boxes sealed to it are stored, all in one atomic write; the blob is then deleted
 * (the key is spent: a second device restored from it would be a clone of this one). The caller
 * opens the engine, which syncs every conversation's history from the server, and asks the person
 * for a new recovery key. A key that is not one is M512; a key that finds nothing (a wrong key, an
 * earlier key, a blob never written) is M513 and tells nothing more; the server unreachable is
 * M514. Nothing is written unless everything opened.
 */
export async function restoreFromRecovery(store: LocalStore, syncUrl: string, keyText: string, fetch: Fetch = globalThis.fetch.bind(globalThis)): Promise<{ name: string; orgs: ConvId[] }> {
  const key = parseRecoveryKey(keyText)
  if (!key.ok) throw new ClientError(ClientErrorCode.RECOVERY_KEY_MALFORMED, key.detail)
  await checkLocalFormat(store)
  if (await store.get(['identity'])) throw new ClientError(ClientErrorCode.IDENTITY_EXISTS)
  const secrets = recoverySecrets(key.value)
  key.value.fill(0)
  const sealed = await getBlob(fetch, syncUrl, secrets.addr)
  const notFound = () => new ClientError(ClientErrorCode.RECOVERY_NOT_FOUND)
  if (!sealed) throw notFound()
  const plain = openRecoveryBlob(secrets, sealed)
  const content = plain.ok ? readRecoveryContent(plain.value) : undefined
  const device = content ? openRecoveryDevice(secrets, content.device) : undefined
  const secretsOf = device?.ok ? decodeRecord(device.value, deviceSchema) : undefined
  const keys = secretsOf ? await restoreDeviceKeys(secretsOf.signSecret, secretsOf.boxSecret) : undefined
  if (!content || !keys) throw notFound()
  await store.write([{ key: ['identity'], value: identityRecord(keys, content.name) }, ...(await restoredRecords(content))])
  await deleteBlob(fetch, syncUrl, secrets.addr, secrets.write).catch(() => undefined)
  return { name: content.name, orgs: orgsOf(content) }
}
