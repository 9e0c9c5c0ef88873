import * as z from 'zod'
import { ClientError, ClientErrorCode } from '../errors.js'
import type { LocalStore } from './LocalStore.js'
import { decodeRecord, encodeRecord } from './records.js'

/**
 * [M25] The layout of this device's local data. Format 4: every conversation is a space with a
 * signed graph (team [T1]); no conversation records of the ad-hoc kind (admins, key mail) and no
 * member entries in roots. Format 3: envelopes of per-epoch chains (crypto [E13]), outbox chains
 * per epoch, sealed records with their changes, mail to mailbox addresses ([K7]), rotation boxes
 * under context tags (team [T20]). (Format 2 lived only between two commits of the same change.)
 * A store written in
 * format 1 (no format record, but an identity) or any other format is refused with M202 before
 * anything is read from it, so nothing is misread and nothing is changed.
 */
export const LOCAL_FORMAT = 4
const KEY = ['meta', 'format']
const schema = z.object({ format: z.number().int().nonnegative() })

export async function checkLocalFormat(store: LocalStore): Promise<void> {
  const stored = await store.get(KEY)
  if (stored) {
    const rec = decodeRecord(stored, schema)
    if (rec?.format === LOCAL_FORMAT) return
    throw new ClientError(ClientErrorCode.LOCAL_FORMAT, `format ${rec ? rec.format : 'unreadable'}; this app reads format ${LOCAL_FORMAT}`)
  }
  // No format record: a new store, or one written before formats were recorded (format 1).
  if (await store.get(['identity'])) throw new ClientError(ClientErrorCode.LOCAL_FORMAT, `format 1; this app reads format ${LOCAL_FORMAT}`)
  await store.write([{ key: KEY, value: encodeRecord({ format: LOCAL_FORMAT }) }])
}
