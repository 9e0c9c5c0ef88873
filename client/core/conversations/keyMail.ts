import * as z from 'zod'
import {
  asEpochKey, openLockbox, sealLockbox, utf8, type BoxPublicKey, type DeviceKeys, type EpochKey, type Signer,
} from '../../../crypto/index.js'
import { convIdOf, deviceIdOf, idBytes, type ConvId, type DeviceId } from '../../../protocol/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [M21] Key mail: after a removal, an admin device seals the conversation's keys (the new
 * current epoch and the chain of earlier ones) to each remaining member device in a lockbox
 * ([L1][L2]: ephemeral box, signed by the admin device) and posts it to that device's mailbox
 * ([S11]). A recipient accepts it only from a device it knows as an admin of that conversation.
 */
export interface KeyMail {
  readonly conv: ConvId
  readonly current: number
  readonly keys: readonly { readonly epoch: number; readonly key: EpochKey }[]
  readonly sender: DeviceId
}

const CONTEXT = utf8.encode('fieldchat/v1/mail/epoch-keys')
const schema = z.object({
  c: z.instanceof(Uint8Array).refine((b) => b.length === 16),
  cur: z.number().int().nonnegative().max(0xffffffff),
  keys: z.array(z.object({ e: z.number().int().nonnegative().max(0xffffffff), k: z.instanceof(Uint8Array).refine((b) => b.length === 32) })).min(1).max(10_000),
})

export function sealKeyMail(conv: ConvId, current: number, keys: readonly { epoch: number; key: EpochKey }[], to: BoxPublicKey, signer: Signer): Promise<Uint8Array> {
  const payload = encodeRecord({ c: idBytes(conv), cur: current, keys: keys.map((k) => ({ e: k.epoch, k: k.key })) })
  return sealLockbox(payload, to, CONTEXT, signer)
}

export async function openKeyMail(body: Uint8Array, me: DeviceKeys): Promise<KeyMail | undefined> {
  const opened = await openLockbox(body, me.boxPublic, me.boxSecret, CONTEXT)
  if (!opened.ok) return undefined
  const rec = decodeRecord(opened.value.secret, schema)
  if (!rec || !rec.keys.some((k) => k.e === rec.cur)) return undefined
  return { conv: convIdOf(rec.c), current: rec.cur, keys: rec.keys.map((k) => ({ epoch: k.e, key: asEpochKey(k.k) })), sender: deviceIdOf(opened.value.sender) }
}
