import nacl from 'tweetnacl'
import { randomBytes } from '../random.js'
import { domainHash } from '../hash.js'
import { bytesEqual } from '../bytes.js'
import { CryptoMisuse } from '../errors.js'
import type { EnvelopeHash, EpochKey } from '../keys.js'
import type { ChainAuthor } from './author.js'
import { NONCE_BYTES, encodeHeader, type EnvelopeHeader } from './header.js'
import { pad } from './padding.js'
import { DOMAIN_HEADER_HASH, envelopeHash, joinEnvelope, signedBytes } from './wire.js'

export interface SealedEnvelope {
  readonly bytes: Uint8Array
  readonly hash: EnvelopeHash
}

/**
 * Seal one batch: random nonce ([E6]), secretbox over the padded plaintext carrying the header
 * hash and the author's certificate ([E5], [E13]), then one detached signature by the chain key
 * over domain ‖ header ‖ nonce ‖ ct ([E3]).
 */
export async function sealEnvelope(header: EnvelopeHeader, payload: Uint8Array, key: EpochKey, author: ChainAuthor): Promise<SealedEnvelope> {
  if (key.length !== 32) throw new CryptoMisuse('EpochKey must be 32 bytes')
  if (!bytesEqual(header.chain, author.chain)) throw new CryptoMisuse('header.chain must be the author\'s chain key')
  // [E13] an author is for one conversation and epoch: sealing it under another is a bug (readers would refuse it).
  if (!bytesEqual(header.conv, author.conv) || header.epoch !== author.epoch) throw new CryptoMisuse('the author is for another conversation or epoch')
  const headerBytes = encodeHeader(header)
  const nonce = randomBytes(NONCE_BYTES)
  const ciphertext = nacl.secretbox(pad(domainHash(DOMAIN_HEADER_HASH, headerBytes), author.cert, payload), nonce, key)
  const signature = await author.signer.sign(signedBytes(headerBytes, nonce, ciphertext))
  return { bytes: joinEnvelope(headerBytes, nonce, signature, ciphertext), hash: envelopeHash(headerBytes, nonce, ciphertext) }
}
