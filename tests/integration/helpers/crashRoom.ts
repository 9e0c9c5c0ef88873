import {
  bytesEqual, capabilityProofBytes, conversationIdOf, deriveAdminCapability, deriveCapability, generateEpochKey, randomBytes, toHex, type DeviceKeys, type EpochKey,
} from '../../../crypto/index.js'
import type { Join } from '../../../protocol/index.js'

/**
 * A conversation for raw protocol clients: its id derives from the creator device and an origin
 * (crypto [K6]) so the creator's first join registers it ([S3]); every member joins with the
 * capability of epoch 0, derived from the shared epoch key. `docs` are its documents.
 */
export interface CrashRoom {
  readonly conv: Uint8Array
  readonly convHex: string
  readonly epoch: number
  readonly epochKey: EpochKey
  readonly docs: readonly Uint8Array[]
  /** The join frame for a connection with this `nonce`; from `device`, the creator's carries origin and admin. */
  join(nonce: Uint8Array, device: DeviceKeys): Promise<Join>
}

export function crashRoom(creator: DeviceKeys, documents: number): CrashRoom {
  const origin = randomBytes(16)
  const conv = conversationIdOf(creator.signPublic, origin)
  const epochKey = generateEpochKey()
  const adminSecret = randomBytes(32)
  const epoch = 0
  const cap = deriveCapability(epochKey, conv, epoch)
  return {
    conv,
    convHex: toHex(conv),
    epoch,
    epochKey,
    docs: Array.from({ length: documents }, () => randomBytes(16)),
    async join(nonce, device) {
      const proof = await cap.signer.sign(capabilityProofBytes(nonce, conv, epoch))
      const registers = bytesEqual(device.signPublic, creator.signPublic) ? { admin: deriveAdminCapability(adminSecret, conv).publicKey, origin } : {}
      return { type: 'join', conv, epoch, cap: cap.publicKey, proof, ...registers }
    },
  }
}
