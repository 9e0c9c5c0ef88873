import * as z from 'zod'
import { asBoxPublicKey, createSigner, deriveInviteKey, deriveMailboxKey, fromBase64Url, openLockbox, randomBytes, sealLockbox, toBase64Url, toHex, utf8, type DeviceKeys } from '../../../crypto/index.js'
import { convIdOf, idBytes, type ConvId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [T12] An organisation invitation link: `#org=` then base64url(CBOR). It carries the
 * organisation id (bound to its founder, [T1]), the invitation id and secret, and the inviting
 * admin device's signing and box keys, so the answer is sealed to that device and signed with
 * the invitation key: the server can neither read it nor forge or alter one.
 */
export interface OrgInvitation {
  readonly org: ConvId
  readonly name: string
  readonly invite: string
  readonly secret: Uint8Array
  readonly admin: Uint8Array
  readonly adminBox: Uint8Array
  /** The inviting device's mailbox address (crypto [K7]): where the answer is posted. */
  readonly adminMailbox: Uint8Array
  readonly expires: number
  /** [T17] Set on a link to add another device of this person (not a new person). */
  readonly user?: string
  /** The invitation is to a conversation (a one-space organisation), for the join screen's words. */
  readonly conversation?: true
  /** The organisation's decoy pool key (crypto [K8]): the answer's decoys come from it. */
  readonly decoySeed?: Uint8Array
}

const b32 = z.instanceof(Uint8Array).refine((b) => b.length === 32)
const LINK_VERSION = 2
const linkSchema = z.object({
  v: z.literal(LINK_VERSION),
  o: z.instanceof(Uint8Array).refine((b) => b.length === 16),
  n: z.string().max(200),
  i: z.string().min(1).max(64),
  s: b32,
  a: b32,
  x: b32,
  m: b32,
  e: z.number(),
  u: z.string().min(1).max(64).optional(),
  c: z.literal(1).optional(),
  d: b32.optional(),
})

export function newInviteSecret(): { invite: string; secret: Uint8Array } {
  return { invite: toBase64Url(randomBytes(9)), secret: randomBytes(32) }
}

export function orgInviteLink(origin: string, inv: OrgInvitation): string {
  const rec = { v: LINK_VERSION, o: idBytes(inv.org), n: inv.name, i: inv.invite, s: inv.secret, a: inv.admin, x: inv.adminBox, m: inv.adminMailbox, e: inv.expires, ...(inv.user ? { u: inv.user } : {}), ...(inv.conversation ? { c: 1 } : {}), ...(inv.decoySeed ? { d: inv.decoySeed } : {}) }
  return `${origin.replace(/\/+$/, '')}/#org=${toBase64Url(encodeRecord(rec))}`
}

/**
 * Accepts a full link or its fragment; throws M101 for a newer link version, M102 on a conversation link of the format before
 * every conversation was a space (`#join=`, which carried the key itself), M100 on anything else.
 */
export function parseOrgInvitation(input: string): OrgInvitation {
  if (isRetiredInvitation(input)) throw new ClientError(ClientErrorCode.INVITE_RETIRED)
  const match = /(?:^|#|&)org=([A-Za-z0-9_-]+)\s*$/.exec(input.trim())
  const bytes = match ? fromBase64Url(match[1]!) : undefined
  const version = bytes && decodeRecord(bytes, z.object({ v: z.number() }).loose())
  if (version && version.v > LINK_VERSION) throw new ClientError(ClientErrorCode.INVITE_VERSION)
  const rec = bytes && decodeRecord(bytes, linkSchema)
  if (!rec) throw new ClientError(ClientErrorCode.INVITE_MALFORMED)
  return { org: convIdOf(rec.o), name: rec.n, invite: rec.i, secret: rec.s, admin: rec.a, adminBox: rec.x, adminMailbox: rec.m, expires: rec.e, ...(rec.u ? { user: rec.u } : {}), ...(rec.c ? { conversation: true as const } : {}), ...(rec.d ? { decoySeed: rec.d } : {}) }
}

/** A `#join=` link: the retired conversation invitation ([I1] before format 4). */
export function isRetiredInvitation(input: string): boolean {
  return /(?:^|#)join=/.test(input.trim())
}

export function isOrgInvitation(input: string): boolean {
  return /(?:^|#|&)org=/.test(input.trim())
}

const JOIN_CONTEXT = utf8.encode('fieldchat/v1/team/join-request')
const requestSchema = z.object({ t: z.literal('join/2'), o: z.string().max(64), i: z.string().max(64), u: z.string().min(1).max(64), n: z.string().min(1).max(64), d: b32, x: b32, m: b32 })

export interface JoinRequest {
  readonly org: ConvId
  readonly invite: string
  readonly user: string
  readonly name: string
  readonly device: Uint8Array
  readonly box: Uint8Array
  /** The new device's mailbox address (crypto [K7]), written into the directory with it. */
  readonly mailbox: Uint8Array
  /** Hex of the key that signed the request: must be the invitation's key. */
  readonly signedBy: string
}

/** The invitee's answer: its keys and name, sealed to the admin device, signed with the invitation key. */
export function sealJoinRequest(inv: OrgInvitation, user: string, name: string, me: DeviceKeys): Promise<Uint8Array> {
  const signer = deriveInviteKey(inv.secret, idBytes(inv.org)).signer
  const body = encodeRecord({ t: 'join/2', o: inv.org, i: inv.invite, u: user, n: name, d: me.signPublic, x: me.boxPublic, m: deriveMailboxKey(me.signSecret).address })
  return sealLockbox(body, asBoxPublicKey(inv.adminBox), JOIN_CONTEXT, signer)
}

export async function openJoinRequest(body: Uint8Array, me: DeviceKeys): Promise<JoinRequest | undefined> {
  const opened = await openLockbox(body, me.boxPublic, me.boxSecret, JOIN_CONTEXT)
  if (!opened.ok) return undefined
  const rec = decodeRecord(opened.value.secret, requestSchema)
  if (!rec) return undefined
  return { org: rec.o as ConvId, invite: rec.i, user: rec.u, name: rec.n, device: rec.d, box: rec.x, mailbox: rec.m, signedBy: toHex(opened.value.sender) }
}

const REFUSAL_CONTEXT = utf8.encode('fieldchat/v1/team/join-refusal')
const refusalSchema = z.object({ t: z.literal('refused/1'), o: z.string().max(64), i: z.string().max(64), r: z.string().max(200) })

/** [T12] The answer to a refused join request: why, sealed to the invitee and signed by the inviting device. */
export function sealJoinRefusal(req: JoinRequest, reason: string, me: DeviceKeys): Promise<Uint8Array> {
  return sealLockbox(encodeRecord({ t: 'refused/1', o: req.org, i: req.invite, r: reason }), asBoxPublicKey(req.box), REFUSAL_CONTEXT, createSigner(me.signSecret))
}

export interface JoinRefusal { readonly org: ConvId; readonly invite: string; readonly reason: string; /** Hex of the signing device. */ readonly signedBy: string }

export async function openJoinRefusal(body: Uint8Array, me: DeviceKeys): Promise<JoinRefusal | undefined> {
  const opened = await openLockbox(body, me.boxPublic, me.boxSecret, REFUSAL_CONTEXT)
  if (!opened.ok) return undefined
  const rec = decodeRecord(opened.value.secret, refusalSchema)
  return rec ? { org: rec.o as ConvId, invite: rec.i, reason: rec.r, signedBy: toHex(opened.value.sender) } : undefined
}
