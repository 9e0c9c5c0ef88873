import { encodeFrame } from '../../../protocol/index.js'
import { randomBinary } from '../gen/bytes.js'
import { mutatedFrame } from '../gen/mutate.js'
import { WsPeer } from '../wsPeer.js'
import type { Episode } from './types.js'

/**
 * Frames as fast as the socket takes them ([S6] rate limit: RATE_LIMITED, then the socket closed
 * after `maxRateStrikes` refusals): pings, garbage, or a mix, before or after the hello.
 */
export const flood: Episode = async (rng, env) => {
  const peer = await WsPeer.open(env)
  if (!peer) return
  if (!rng.chance(env.preAuth)) {
    await peer.sendMessage(await rng.pick(env.devices).hello(peer.challenge))
    await peer.until(() => peer.received.some((m) => m.type === 'welcome'), 5_000)
  }
  const kind = rng.weighted({ pings: 3, garbage: 1, mixed: 1 })
  const ping = encodeFrame({ type: 'ping', t: 1 })
  for (let i = rng.int(300, 3000); i > 0 && peer.open && !env.stopping(); i--) {
    if (kind === 'pings') await peer.send(ping)
    else if (kind === 'garbage') await peer.send(randomBinary(rng))
    else await peer.send(rng.chance(0.5) ? ping : rng.chance(0.5) ? randomBinary(rng) : mutatedFrame(rng).bytes)
  }
  await peer.finish()
}
