import * as z from 'zod'
import { asBoxPublicKey, createSigner, openAnonymous, openLockbox, sealAnonymous, sealLockbox, toHex, utf8, STATS_POINT_BYTES, STATS_PUBLIC_KEY_BYTES, STATS_TOKEN_NONCE_BYTES, type DeviceKeys } from '../../../crypto/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { countsSchema, type Counts } from './counts.js'
import { isDay, type Day } from './days.js'

/**
 * [Q3][Q4] What travels for usage statistics, all through mailboxes (protocol [S11]):
 * - a token request, device → collector: the blinded tokens of some days and the device's app
 *   version and platform (device management, [Q7]); a lockbox signed by the device (crypto [L1]);
 * - the answer, collector → device: the signed blinded tokens; a lockbox signed by the collector;
 * - a report, device → collector: one day's counts with that day's unblinded token; an anonymous
 *   seal (crypto [X4]) with no sender, so the collector cannot tell which device sent it.
 */
const REQUEST_CONTEXT = 'fieldchat/v1/stats/token-request'
const ANSWER_CONTEXT = 'fieldchat/v1/stats/token-answer'
/** At most this many tokens (organisation and groups, [Q9]) in one request or answer. */
export const MAX_TOKENS = 64

/** [Q9] The token label of a group's reports: the organisation and the group, so a group token is spent on nothing else. */
export const tokenLabel = (org: string, group?: string): string => (group ? `${org}/${group}` : org)

const day = z.string().refine(isDay, 'not a day')
const point = z.instanceof(Uint8Array).refine((b) => b.length === STATS_POINT_BYTES)
const org = z.string().min(1).max(64)
const group = z.string().min(1).max(40)
const nonce = z.instanceof(Uint8Array).refine((b) => b.length === STATS_TOKEN_NONCE_BYTES)
const publicKey = z.instanceof(Uint8Array).refine((b) => b.length === STATS_PUBLIC_KEY_BYTES)
const requestSchema = z.object({ t: z.literal('stats-req/1'), o: org, td: day, k: publicKey.optional(), days: z.array(z.object({ d: day, b: point, g: group.optional() }).strict()).min(1).max(MAX_TOKENS), v: z.string().max(32), p: z.string().max(32) }).strict()
const answerSchema = z.object({ t: z.literal('stats-ans/1'), o: org, days: z.array(z.object({ d: day, s: point, g: group.optional() }).strict()).max(MAX_TOKENS) }).strict()
const reportSchema = z.object({ t: z.literal('stats-rep/1'), o: org, d: day, n: nonce, s: point, c: countsSchema }).strict()
const count = z.number().int().min(0).max(1_000_000)
const groupReportSchema = z.object({ t: z.literal('stats-grp/1'), o: org, g: group, d: day, n: nonce, s: point, c: z.object({ active: count, messages: count }).strict() }).strict()

export interface TokenRequest {
  readonly org: string
  /** `group`: a token for that group's report of the day ([Q9]); none: the organisation's. */
  readonly days: readonly { readonly day: Day; readonly blinded: Uint8Array; readonly group?: string }[]
  readonly version: string
  readonly platform: string
  /** The device's day when it asked: a request replayed later is not taken as a new contact. */
  readonly today: Day
  /**
   * The published key it asks under: a collector that made a new one since (statistics turned off
   * and on again) ignores the request, rather than spend the device's one token of the day on it.
   */
  readonly key?: Uint8Array
  /** Hex of the requesting device's signing key (from the lockbox's signature). */
  readonly device?: string
}
export interface TokenAnswer {
  readonly org: string
  readonly days: readonly { readonly day: Day; readonly signed: Uint8Array; readonly group?: string }[]
  readonly signedBy?: string
}
export interface Report {
  readonly org: string
  readonly day: Day
  readonly nonce: Uint8Array
  readonly signature: Uint8Array
  readonly counts: Counts
}
/** [Q9] One member's day in one group: whether they were active in it and the messages they sent there. */
export interface GroupReport {
  readonly org: string
  readonly group: string
  readonly day: Day
  readonly nonce: Uint8Array
  readonly signature: Uint8Array
  readonly counts: GroupCounts
}
export interface GroupCounts {
  readonly active: number
  readonly messages: number
}

const ctx = (purpose: string, org: string) => utf8.encode(`${purpose}/${org}`)

export function sealTokenRequest(r: TokenRequest, collectorBox: Uint8Array, me: DeviceKeys): Promise<Uint8Array> {
  const body = encodeRecord({ t: 'stats-req/1', o: r.org, td: r.today, ...(r.key ? { k: r.key } : {}), days: r.days.map((d) => ({ d: d.day, b: d.blinded, ...(d.group ? { g: d.group } : {}) })), v: r.version.slice(0, 32), p: r.platform.slice(0, 32) })
  return sealLockbox(body, asBoxPublicKey(collectorBox), ctx(REQUEST_CONTEXT, r.org), createSigner(me.signSecret))
}

export function sealTokenAnswer(a: TokenAnswer, deviceBox: Uint8Array, me: DeviceKeys): Promise<Uint8Array> {
  const body = encodeRecord({ t: 'stats-ans/1', o: a.org, days: a.days.map((d) => ({ d: d.day, s: d.signed, ...(d.group ? { g: d.group } : {}) })) })
  return sealLockbox(body, asBoxPublicKey(deviceBox), ctx(ANSWER_CONTEXT, a.org), createSigner(me.signSecret))
}

/** Every report is padded to this many bytes before it is sealed, so its size says nothing of its counts or kind. */
export const REPORT_BYTES = 320

function padded(body: Uint8Array): Uint8Array {
  if (body.length > REPORT_BYTES - 2) throw new RangeError('report too long')
  const out = new Uint8Array(REPORT_BYTES)
  new DataView(out.buffer).setUint16(0, body.length)
  out.set(body, 2)
  return out
}

function unpadded(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== REPORT_BYTES) return undefined
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(0)
  return n <= REPORT_BYTES - 2 && bytes.subarray(2 + n).every((b) => b === 0) ? bytes.subarray(2, 2 + n) : undefined
}

export function sealReport(r: Report, collectorBox: Uint8Array): Uint8Array {
  return sealAnonymous(padded(encodeRecord({ t: 'stats-rep/1', o: r.org, d: r.day, n: r.nonce, s: r.signature, c: r.counts })), collectorBox, utf8.encode(r.org))
}

export function sealGroupReport(r: GroupReport, collectorBox: Uint8Array): Uint8Array {
  return sealAnonymous(padded(encodeRecord({ t: 'stats-grp/1', o: r.org, g: r.group, d: r.day, n: r.nonce, s: r.signature, c: { active: r.counts.active, messages: r.counts.messages } })), collectorBox, utf8.encode(r.org))
}

/**
 * A mailbox item for statistics, opened with this device's box key for any of its
 * organisations (`orgs`); undefined when it is none (another kind of item, another device's, or
 * altered). What it says is still checked by its reader ([Q3], [Q5]).
 */
export async function openStatsMail(body: Uint8Array, me: DeviceKeys, orgs: readonly string[]): Promise<{ request: TokenRequest } | { answer: TokenAnswer } | { report: Report } | { groupReport: GroupReport } | undefined> {
  for (const o of orgs) {
    const req = await openLockbox(body, me.boxPublic, me.boxSecret, ctx(REQUEST_CONTEXT, o))
    if (req.ok) {
      const r = decodeRecord(req.value.secret, requestSchema)
      return r && r.o === o ? { request: { org: o, days: r.days.map((d) => ({ day: d.d, blinded: d.b, ...(d.g ? { group: d.g } : {}) })), version: r.v, platform: r.p, today: r.td, ...(r.k ? { key: r.k } : {}), device: toHex(req.value.sender) } } : undefined
    }
    const ans = await openLockbox(body, me.boxPublic, me.boxSecret, ctx(ANSWER_CONTEXT, o))
    if (ans.ok) {
      const a = decodeRecord(ans.value.secret, answerSchema)
      return a && a.o === o ? { answer: { org: o, days: a.days.map((d) => ({ day: d.d, signed: d.s, ...(d.g ? { group: d.g } : {}) })), signedBy: toHex(ans.value.sender) } } : undefined
    }
    const rep = openAnonymous(body, me.boxSecret, utf8.encode(o))
    if (rep.ok) {
      const plain = unpadded(rep.value)
      if (!plain) return undefined
      const r = decodeRecord(plain, reportSchema)
      if (r) return r.o === o ? { report: { org: o, day: r.d, nonce: r.n, signature: r.s, counts: r.c } } : undefined
      const g = decodeRecord(plain, groupReportSchema)
      return g && g.o === o ? { groupReport: { org: o, group: g.g, day: g.d, nonce: g.n, signature: g.s, counts: g.c } } : undefined
    }
  }
  return undefined
}
