import { createSigner, deriveMailboxKey, deviceAuthBytes, mailboxProofBytes, type DeviceKeys } from '../../crypto/index.js'
import { PROTOCOL_VERSION, type Hello } from '../../protocol/index.js'

/** A valid hello for `keys` over `challenge` ([S2]: device proof and mailbox proof, crypto [K3][K7]); fields may be overridden. */
export async function helloFor(keys: DeviceKeys, challenge: Uint8Array, over: Partial<Hello> = {}): Promise<Hello> {
  const mailbox = deriveMailboxKey(keys.signSecret)
  const [proof, mailboxProof] = await Promise.all([
    createSigner(keys.signSecret).sign(deviceAuthBytes(challenge, keys.signPublic)),
    mailbox.signer.sign(mailboxProofBytes(challenge, mailbox.address)),
  ])
  return { type: 'hello', v: PROTOCOL_VERSION, device: keys.signPublic, proof, mailbox: mailbox.address, mailboxProof, ...over }
}

/** The mailbox address of a device (where mail to it is posted). */
export const mailboxOf = (keys: DeviceKeys): Uint8Array => deriveMailboxKey(keys.signSecret).address
