import nacl from 'tweetnacl'
import { bytesEqual } from '../bytes.js'
import { domainHash } from '../hash.js'
import { CryptoErrorCode, fail, ok, type Result } from '../errors.js'
import type { EnvelopeHash, EpochKey, SignPublicKey } from '../keys.js'
import { certifiedDevice } from './author.js'
import type { EnvelopeHeader } from './header.js'
import { unpad } from './padding.js'
import { verifyEnvelopeSignature } from './signature.js'
import { DOMAIN_HEADER_HASH, hashOfEnvelope, splitEnvelope, type EnvelopeParts } from './wire.js'

export { verifyEnvelopeSignature }

export interface OpenedEnvelope {
  readonly header: EnvelopeHeader
  readonly hash: EnvelopeHash
  readonly payload: Uint8Array
  /** The author's device, from the certificate inside the ciphertext ([E13]). */
  readonly device: SignPublicKey
}

export interface OpenContext {
  /** The conversation and document the reader asked for ([E8]: no replay into another document). */
  readonly conv: Uint8Array
  readonly doc: Uint8Array
  /** Epoch key lookup; undefined when this device holds no key for that epoch. */
  readonly keyFor: (epoch: number) => EpochKey | undefined
}

/**
 * Open = parse [E2] → verify signature [E3] → context [E8] → key [E9] → decrypt → padding and
 * header hash [E5] → certificate [E13]. Every failure is a coded result; nothing partial is
 * returned. The membership [E9] and actor [E10] checks need the membership and Automerge and
 * live in client/core.
 */
export async function openEnvelope(bytes: Uint8Array, ctx: OpenContext): Promise<Result<OpenedEnvelope>> {
  const parts = splitEnvelope(bytes)
  if (!parts) return fail(CryptoErrorCode.MALFORMED)
  if (!(await verifyEnvelopeSignature(parts))) return fail(CryptoErrorCode.BAD_SIGNATURE)
  return decryptVerified(parts, ctx)
}

/** Decrypt an envelope whose signature was already verified (for example by a chain check, [E11]). */
export async function decryptVerified(parts: EnvelopeParts, ctx: OpenContext): Promise<Result<OpenedEnvelope>> {
  const { header } = parts
  if (!bytesEqual(header.conv, ctx.conv) || !bytesEqual(header.doc, ctx.doc)) return fail(CryptoErrorCode.WRONG_CONTEXT)
  const key = ctx.keyFor(header.epoch)
  if (!key) return fail(CryptoErrorCode.NO_KEY, `epoch ${header.epoch}`)
  const plaintext = nacl.secretbox.open(parts.ciphertext, parts.nonce, key)
  if (!plaintext) return fail(CryptoErrorCode.DECRYPT_FAILED)
  const inner = unpad(plaintext)
  if (!inner) return fail(CryptoErrorCode.BAD_PADDING)
  if (!bytesEqual(inner.headerHash, domainHash(DOMAIN_HEADER_HASH, parts.headerBytes))) return fail(CryptoErrorCode.HEADER_MISMATCH)
  const device = await certifiedDevice(inner.cert, header.conv, header.epoch, header.chain)
  if (!device) return fail(CryptoErrorCode.BAD_SIGNATURE, 'certificate')
  return ok({ header, hash: hashOfEnvelope(parts), payload: inner.payload, device })
}
