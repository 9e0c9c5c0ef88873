import * as z from 'zod'
import { FRAME_BASE_KEY_BYTES } from '../../../crypto/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * [V1] What call signalling says, once a call signal's parts are put back together ([V2]) and
 * opened (crypto [E14]: sealed under the conversation's epoch and signed by the sending device,
 * so the server can neither read nor rewrite it, and an SDP's DTLS fingerprints are those the
 * signing device chose). Peer input: parsed with zod, never cast.
 *
 * - `here`: this device is in call `c` (its first one rings the others); repeated every
 *   {@link HEARTBEAT_MS} while it stays, so a call nobody repeats has ended.
 * - `leave`: it hung up; `decline`: it will not answer this call.
 * - `sdp`: an offer or answer for one device (`to`, its device id), with the candidates gathered
 *   by then (one message each way, under the signal budget; late ones follow as `cand`), for the offerer's link
 *   `l` (its RTCPeerConnection: a link made anew has a new id, so the answerer knows to start
 *   afresh too, and an answer for a link gone is not applied to its successor).
 * - `cand`: a candidate of link `l` found after its SDP went (`m`: its media section's mid, `s`:
 *   the candidate line), for `to` — a starved browser can find its UDP candidates seconds late.
 * - `renew`: for the offerer `to`, "my link with you (`l`, '' for none) is not up: make a new
 *   one" — the answerer's only way to move a link the offerer may not know is dead (client/web
 *   [W32]).
 * - `key`: the sending device's frame base key `key` under key id `kid` (crypto [X2]; [V5]).
 * - `ask`: "send me your keys again": frames came under a key id this device was not given
 *   (a key signal lost while a device re-joined after a rotation; signals are never queued).
 */
export type CallMessage =
  | { readonly k: 'here'; readonly c: string; readonly video: boolean }
  | { readonly k: 'leave'; readonly c: string }
  | { readonly k: 'decline'; readonly c: string }
  | { readonly k: 'sdp'; readonly c: string; readonly to: string; readonly l: string; readonly type: 'offer' | 'answer'; readonly sdp: string }
  | { readonly k: 'renew'; readonly c: string; readonly to: string; readonly l: string }
  | { readonly k: 'cand'; readonly c: string; readonly to: string; readonly l: string; readonly m: string; readonly s: string }
  | { readonly k: 'key'; readonly c: string; readonly kid: number; readonly key: Uint8Array }
  | { readonly k: 'ask'; readonly c: string }

/** A call's id: 16 random bytes in base64url. */
export const CALL_ID = /^[A-Za-z0-9_-]{22}$/
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/
/** A link's id: 8 random bytes in base64url. */
export const LINK_ID = /^[A-Za-z0-9_-]{11}$/
/** An SDP of a video call with every candidate is a few KiB; more is not one a browser made. */
export const MAX_SDP_CHARS = 12_000
/** A candidate line is about a hundred characters; a mid a few. */
export const MAX_CANDIDATE_CHARS = 512
const MAX_MID_CHARS = 32

/** How often a device in a call says so; a participant silent for {@link GONE_MS} has left. */
export const HEARTBEAT_MS = 4_000
export const GONE_MS = 12_000

const callId = z.string().regex(CALL_ID)
const schema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('here'), c: callId, video: z.boolean() }).strict(),
  z.object({ k: z.literal('leave'), c: callId }).strict(),
  z.object({ k: z.literal('decline'), c: callId }).strict(),
  z.object({ k: z.literal('sdp'), c: callId, to: z.string().regex(DEVICE_ID), l: z.string().regex(LINK_ID), type: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(MAX_SDP_CHARS) }).strict(),
  z.object({ k: z.literal('renew'), c: callId, to: z.string().regex(DEVICE_ID), l: z.union([z.literal(''), z.string().regex(LINK_ID)]) }).strict(),
  z.object({ k: z.literal('ask'), c: callId }).strict(),
  z.object({ k: z.literal('cand'), c: callId, to: z.string().regex(DEVICE_ID), l: z.string().regex(LINK_ID), m: z.string().max(MAX_MID_CHARS), s: z.string().regex(/^candidate:/).max(MAX_CANDIDATE_CHARS) }).strict(),
  z.object({ k: z.literal('key'), c: callId, kid: z.number().int().min(0).max(2 ** 31), key: z.instanceof(Uint8Array).refine((b) => b.length === FRAME_BASE_KEY_BYTES) }).strict(),
])

export function encodeCallMessage(m: CallMessage): Uint8Array {
  return encodeRecord(m)
}

export function decodeCallMessage(bytes: Uint8Array): CallMessage | undefined {
  return decodeRecord(bytes, schema)
}
