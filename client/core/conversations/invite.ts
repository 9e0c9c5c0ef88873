import * as z from 'zod'
import { asEpochKey, fromBase64Url, toBase64Url, type EpochKey } from '../../../crypto/index.js'
import { convIdOf, deviceIdOf, idBytes, type ConvId, type DeviceId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [I1] An invitation travels in the URL fragment (`#join=…`), which browsers never send to a
 * server. It carries the conversation id, its epoch and epoch key, and the title for the join
 * screen. Anyone holding the link can join: share it only with the people you mean.
 * (Issue 3 replaces this with admin-signed, one-time, expiring invitations.)
 */
export interface Invitation {
  readonly conv: ConvId
  readonly epoch: number
  readonly key: EpochKey
  readonly title: string
  /** Keys of earlier epochs, so the invitee can read the history (omitted: no history). */
  readonly history?: readonly { readonly epoch: number; readonly key: EpochKey }[]
  /** Admin devices of the conversation: whose removals and sealed keys the invitee accepts. */
  readonly admins?: readonly DeviceId[]
}

const INVITE_VERSION = 1
const schema = z.object({
  v: z.number().int(),
  c: z.instanceof(Uint8Array).refine((b) => b.length === 16),
  e: z.number().int().nonnegative().max(0xffffffff),
  k: z.instanceof(Uint8Array).refine((b) => b.length === 32),
  t: z.string().max(200),
  a: z.array(z.instanceof(Uint8Array).refine((b) => b.length === 32)).max(100).optional(),
  h: z.array(z.object({ e: z.number().int().nonnegative().max(0xffffffff), k: z.instanceof(Uint8Array).refine((b) => b.length === 32) })).max(1000).optional(),
})

export function inviteFragment(inv: Invitation): string {
  const h = inv.history?.length ? { h: inv.history.map((x) => ({ e: x.epoch, k: x.key })) } : {}
  const a = inv.admins?.length ? { a: inv.admins.map((d) => idBytes(d)) } : {}
  return `join=${toBase64Url(encodeRecord({ v: INVITE_VERSION, c: idBytes(inv.conv), e: inv.epoch, k: inv.key, t: inv.title, ...h, ...a }))}`
}

export function inviteLink(origin: string, inv: Invitation): string {
  return `${origin.replace(/\/+$/, '')}/#${inviteFragment(inv)}`
}

/** Accepts a full link or just its fragment; throws ClientError M100/M101 on anything else. */
export function parseInvitation(input: string): Invitation {
  const text = input.trim()
  const match = /(?:^|#|&)join=([A-Za-z0-9_-]+)\s*$/.exec(text)
  const bytes = match ? fromBase64Url(match[1]!) : undefined
  if (!bytes) throw new ClientError(ClientErrorCode.INVITE_MALFORMED)
  const version = decodeRecord(bytes, z.object({ v: z.number() }).loose())
  if (version && version.v > INVITE_VERSION) throw new ClientError(ClientErrorCode.INVITE_VERSION)
  const record = decodeRecord(bytes, schema)
  if (!record || record.v !== INVITE_VERSION) throw new ClientError(ClientErrorCode.INVITE_MALFORMED)
  const history = record.h?.map((x) => ({ epoch: x.e, key: asEpochKey(x.k) }))
  const admins = record.a?.map((b) => deviceIdOf(b))
  return { conv: convIdOf(record.c), epoch: record.e, key: asEpochKey(record.k), title: record.t, ...(history?.length ? { history } : {}), ...(admins?.length ? { admins } : {}) }
}
