import { verifySignature } from '../sign.js'
import { signedBytes, type EnvelopeParts } from './wire.js'

/**
 * [E3] Verify the chain-key signature of a split envelope. Kept apart from open.ts so that the
 * server, which only verifies, never loads a module that can decrypt (tests/architecture).
 */
export async function verifyEnvelopeSignature(parts: EnvelopeParts): Promise<boolean> {
  return verifySignature(signedBytes(parts.headerBytes, parts.nonce, parts.ciphertext), parts.signature, parts.header.chain)
}
