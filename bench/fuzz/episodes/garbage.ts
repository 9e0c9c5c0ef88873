import { encodeFrame } from '../../../protocol/index.js'
import { damage, randomBinary, randomText } from '../gen/bytes.js'
import { mutatedFrame } from '../gen/mutate.js'
import { WsPeer } from '../wsPeer.js'
import { maybeHello } from './hello.js'
import type { Episode } from './types.js'

/** Random bytes (binary and text frames) and byte-damaged valid frames ([S1], [P3], [P4]). */
export const garbage: Episode = async (rng, env) => {
  const peer = await WsPeer.open(env)
  if (!peer) return
  await maybeHello(rng, env, peer)
  for (let i = rng.int(1, 120); i > 0 && peer.open && !env.stopping(); i--) {
    const r = rng.float()
    if (r < 0.45) await peer.send(randomBinary(rng))
    else if (r < 0.6) await peer.send(randomText(rng))
    else await peer.send(damage(rng, rng.chance(0.5) ? mutatedFrame(rng).bytes : encodeFrame({ type: 'ping', t: rng.u32() })))
  }
  await peer.finish()
}
