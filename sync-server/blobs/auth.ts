import type { IncomingMessage } from 'node:http'
import { verifyBlobRequest, type BlobProofRole } from '../../crypto/verify.js'
import { BLOB_CLOCK_WINDOW_MS, BlobErrorCode, parseBlobAuth, parseBlobSpaceAuth } from '../../protocol/index.js'
import type { ChangeStore } from '../store/ChangeStore.js'
import type { ErrorExtra } from './errors.js'

export type Refusal = { readonly ok: false; readonly code: BlobErrorCode; readonly extra?: ErrorExtra }
export type Authorized = { readonly ok: true; readonly conv: Uint8Array; readonly time: number }

/** The registered conversations' capabilities: all the blob endpoints ask of the change store. */
export type Capabilities = Pick<ChangeStore, 'getConv'>

/**
 * [B3] Whether `proof` ([K9]) proves the capability of `conv` at its current epoch over this
 * request. An unregistered conversation, any other epoch (a removed member holds only an old
 * epoch's capability) and a bad proof are one answer: false.
 */
async function proves(caps: Capabilities, role: BlobProofRole, req: IncomingMessage, conv: Uint8Array, epoch: number, time: number, proof: Uint8Array): Promise<boolean> {
  const stored = await caps.getConv(conv)
  if (!stored || stored.epoch !== epoch) return false
  return verifyBlobRequest(proof, role, req.method ?? '', req.url ?? '', conv, epoch, time, stored.capPublic)
}

/**
 * [B3] The `authorization` header, in order: its shape (B401_AUTH_MISSING), its time within
 * BLOB_CLOCK_WINDOW_MS of `now` (else B401_CLOCK with `serverTime`, so the client corrects its
 * clock and signs again), then the conversation's current capability (B403_DENIED). The target
 * signed is `req.url` exactly as received.
 */
export async function authorize(req: IncomingMessage, caps: Capabilities, now: number): Promise<Authorized | Refusal> {
  const auth = parseBlobAuth(req.headers.authorization)
  if (!auth) return { ok: false, code: BlobErrorCode.AUTH_MISSING }
  if (Math.abs(auth.time - now) > BLOB_CLOCK_WINDOW_MS) return { ok: false, code: BlobErrorCode.CLOCK, extra: { serverTime: now } }
  if (!(await proves(caps, 'access', req, auth.conv, auth.epoch, auth.time, auth.proof))) return { ok: false, code: BlobErrorCode.DENIED }
  return { ok: true, conv: auth.conv, time: auth.time }
}

/**
 * [B4] The quota account of a create: the `x-fieldchat-space` header's space, proven with that
 * space's current capability (role `space`) over the same method, target and time; without the
 * header, the conversation itself.
 */
export async function quotaSpace(req: IncomingMessage, caps: Capabilities, access: Authorized): Promise<{ readonly ok: true; readonly space: Uint8Array } | Refusal> {
  const header = req.headers['x-fieldchat-space']
  if (header === undefined) return { ok: true, space: access.conv }
  const auth = parseBlobSpaceAuth(header)
  if (!auth) return { ok: false, code: BlobErrorCode.AUTH_MISSING }
  if (!(await proves(caps, 'space', req, auth.space, auth.epoch, access.time, auth.proof))) return { ok: false, code: BlobErrorCode.DENIED }
  return { ok: true, space: auth.space }
}
