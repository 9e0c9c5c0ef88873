import { capabilityProofBytes, deriveCapability, type EpochKey } from '../../../crypto/index.js'
import { ErrorCode, idBytes, type ConvId, type ServerMessage } from '../../../protocol/index.js'
import { rawClient } from './rawClient.js'

/**
 * A modified client: joins `conv` at the server with a capability derived from each key it
 * holds. Resolves with the keys the server still accepts (none, once a rotation has cut it off).
 */
export async function keysServerAccepts(url: string, conv: ConvId, keys: readonly { epoch: number; key: Uint8Array }[]): Promise<number[]> {
  const c = await rawClient(url)
  try {
    await c.hello()
    const accepted: number[] = []
    for (const { epoch, key } of keys) {
      const id = idBytes(conv)
      const cap = deriveCapability(key as EpochKey, id, epoch)
      const proof = await cap.signer.sign(capabilityProofBytes(c.challenge, id, epoch))
      const from = c.received.length
      c.send({ type: 'join', conv: id, epoch, cap: cap.publicKey, proof })
      const reply = await answer(c.received, from)
      if (reply.type === 'joined') accepted.push(epoch)
      else if (reply.code !== ErrorCode.CAPABILITY_REJECTED) throw new Error(`unexpected ${reply.code}`)
    }
    return accepted
  } finally {
    c.socket.terminate()
  }
}

async function answer(received: readonly ServerMessage[], from: number) {
  const deadline = Date.now() + 5000
  for (;;) {
    const reply = received.slice(from).find((m) => m.type === 'joined' || m.type === 'error')
    if (reply?.type === 'joined' || reply?.type === 'error') return reply
    if (Date.now() > deadline) throw new Error('no answer to join')
    await new Promise((r) => setTimeout(r, 20))
  }
}
