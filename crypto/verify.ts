/**
 * The server's whole view of crypto: parse headers, verify signatures and proofs, hash chains,
 * make TURN credentials (an HMAC, crypto [X1]).
 * Nothing here can decrypt; tests/architecture checks that sync-server imports only this entry.
 */
export { splitEnvelope, hashOfEnvelope, type EnvelopeParts } from './envelope/wire.js'
export { verifyEnvelopeSignature } from './envelope/signature.js'
export { decodeHeader, type EnvelopeHeader, HEADER_BYTES, ID_BYTES, ZERO_HASH } from './envelope/header.js'
export { conversationIdOf, verifyBlobRequest, verifyCapabilityProof, verifyDeviceAuth, verifyRekeyProof, type BlobProofRole } from './capability.js'
export { decoyPool, decoyPoolEntry, decoyPoolSize, decoyRowDest, mailDest, verifyMailboxProof } from './mailbox.js'
export { parseSignPublicKey, type SignPublicKey } from './keys.js'
export { randomBytes } from './random.js'
export { bytesEqual, toHex, toBase64Url } from './bytes.js'
export { turnCredential, type TurnCredential } from './turnCredential.js'
