import { capabilityProofBytes, deriveAdminCapabilityAsync, deriveCapabilityAsync, rekeyProofBytes } from '../../../crypto/index.js'
import { idBytes, type ClientMessage, type ConvId } from '../../../protocol/index.js'
import type { ConversationRecord } from '../conversations/registry.js'
import type { EngineOptions } from './engineOptions.js'

/**
 * The frame that gives this connection a conversation, proven over the connection's challenge:
 * a `join` at the record's epoch (with the admin capability, which registers it [S3]), or the
 * `rekey` of a rotation the server has not seen yet ([S10]).
 */
export async function joinMessage(conv: ConvId, rec: ConversationRecord, challenge: Uint8Array, adminSecrets: EngineOptions['adminSecrets']): Promise<ClientMessage> {
  const id = idBytes(conv)
  const cap = await deriveCapabilityAsync(rec.keys.get(rec.epoch)!, id, rec.epoch)
  const secrets = adminSecrets ? adminSecrets(conv, rec) : rec.adminSecret && { sign: rec.adminSecret, next: rec.adminSecret }
  const admin = secrets ? await deriveAdminCapabilityAsync(secrets.next, id) : undefined
  // [S10] an offline rotation takes effect as soon as this admin device reconnects; from the
  // epoch the server last confirmed (compare-and-swap). Never confirmed: a plain join registers.
  if (secrets && admin && rec.rekeyPending && rec.serverEpoch !== undefined) {
    const { signer } = await deriveAdminCapabilityAsync(secrets.sign, id)
    const proof = await signer.sign(rekeyProofBytes(challenge, id, rec.epoch, cap.publicKey, admin.publicKey))
    return { type: 'rekey', conv: id, from: rec.serverEpoch, epoch: rec.epoch, cap: cap.publicKey, admin: admin.publicKey, proof }
  }
  const proof = await cap.signer.sign(capabilityProofBytes(challenge, id, rec.epoch))
  return { type: 'join', conv: id, epoch: rec.epoch, cap: cap.publicKey, proof, ...(admin ? { admin: admin.publicKey } : {}), ...(rec.origin ? { origin: rec.origin } : {}) }
}
