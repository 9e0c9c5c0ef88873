import * as z from 'zod'
import { deriveMailboxKey, deriveMailboxKeyAsync, generateDeviceKeys, restoreDeviceKeys, toHex, type DeviceKeys } from '../../crypto/index.js'
import { deviceIdOf, type DeviceId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from './errors.js'
import type { LocalStore } from './storage/LocalStore.js'
import { decodeRecord, encodeRecord } from './storage/records.js'

/** This device: keys made here (no password to phish), and the name the person chose. */
export interface Identity {
  readonly keys: DeviceKeys
  readonly deviceId: DeviceId
  /** Automerge actor id: hex of the signing public key ([E10]). */
  readonly actor: string
  readonly name: string
  /** This device's mailbox address (crypto [K7]): where others post to it; not its device key. */
  readonly mailbox: Uint8Array
}

const KEY = ['identity']
const schema = z.object({ v: z.literal(1), signSecret: z.instanceof(Uint8Array), boxSecret: z.instanceof(Uint8Array), name: z.string().min(1).max(64) })

export function actorOf(deviceKey: Uint8Array): string {
  return toHex(deviceKey)
}

export function normaliseName(name: string): string {
  return name.normalize('NFC').replace(/\s+/g, ' ').trim().slice(0, 64)
}

/** Loads this device's identity; undefined if none yet. Throws M200 rather than replace a corrupt one. */
export async function loadIdentity(store: LocalStore): Promise<Identity | undefined> {
  const bytes = await store.get(KEY)
  if (!bytes) return undefined
  const record = decodeRecord(bytes, schema)
  const keys = record && (await restoreDeviceKeys(record.signSecret, record.boxSecret))
  if (!record || !keys) throw new ClientError(ClientErrorCode.IDENTITY_CORRUPT)
  return { keys, deviceId: deviceIdOf(keys.signPublic), actor: actorOf(keys.signPublic), name: record.name, mailbox: (await deriveMailboxKeyAsync(keys.signSecret)).address }
}

/** The stored form of an identity (a new one, or one restored from a recovery key, [M32]). */
export function identityRecord(keys: DeviceKeys, name: string): Uint8Array {
  return encodeRecord({ v: 1, signSecret: keys.signSecret, boxSecret: keys.boxSecret, name })
}

export async function createIdentity(store: LocalStore, displayName: string): Promise<Identity> {
  const name = normaliseName(displayName)
  if (!name) throw new ClientError(ClientErrorCode.MESSAGE_EMPTY, 'name')
  if (await store.get(KEY)) throw new Error('identity already exists')
  const keys = generateDeviceKeys()
  await store.write([{ key: KEY, value: identityRecord(keys, name) }])
  return { keys, deviceId: deviceIdOf(keys.signPublic), actor: actorOf(keys.signPublic), name, mailbox: deriveMailboxKey(keys.signSecret).address }
}
