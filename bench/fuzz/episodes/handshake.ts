import { deviceAuthBytes } from '../../../crypto/index.js'
import { PROTOCOL_VERSION, encodeFrame } from '../../../protocol/index.js'
import { template, CLIENT_TYPES } from '../gen/templates.js'
import { WsPeer } from '../wsPeer.js'
import type { Episode } from './types.js'

/**
 * The handshake out of order and forged ([S2], [P1]): any message but hello and ping before the
 * hello (NOT_AUTHENTICATED), other versions, proofs by another key, a proof over another
 * connection's challenge (a replay), pings first, and hellos with every field random.
 */
export const handshake: Episode = async (rng, env) => {
  const peer = await WsPeer.open(env)
  if (!peer) return
  const device = rng.pick(env.devices)
  const keys = device.keys
  switch (rng.int(0, 6)) {
    case 0:
      await peer.send(encodeFrame(template(rng, rng.pick(CLIENT_TYPES.filter((t) => t !== 'hello' && t !== 'ping')))))
      break
    case 1:
      await peer.sendMessage(await device.hello(peer.challenge, { v: rng.pick([0, 1, 2, 3, PROTOCOL_VERSION + 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) }))
      break
    case 2: {
      // A proof by this device's key for another device's public key.
      const victim = rng.pick(env.devices).keys
      const proof = await device.signer.sign(deviceAuthBytes(peer.challenge, victim.signPublic))
      await peer.sendMessage(await device.hello(peer.challenge, { device: victim.signPublic, proof }))
      break
    }
    case 3: {
      // A replay: a hello made for another connection's challenge.
      await peer.sendMessage(await device.hello(rng.bytes(32)))
      break
    }
    case 4:
      for (let i = rng.int(1, 20); i > 0; i--) await peer.sendMessage({ type: 'ping', t: rng.u32() })
      await peer.sendMessage(await device.hello(peer.challenge))
      break
    case 5:
      // The mailbox proof made by the device key (the address must not be the device key).
      await peer.sendMessage(await device.hello(peer.challenge, { mailbox: keys.signPublic, mailboxProof: await device.signer.sign(peer.challenge) }))
      break
    default:
      await peer.sendMessage(template(rng, 'hello'))
  }
  await peer.finish()
}
