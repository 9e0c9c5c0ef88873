import { anythingFrame, oddFrame } from '../gen/cborValues.js'
import { WsPeer } from '../wsPeer.js'
import { maybeHello } from './hello.js'
import type { Episode } from './types.js'

/** Random CBOR values (fast-check) and hand-made items no honest encoder writes ([P4]). */
export const cbor: Episode = async (rng, env) => {
  const peer = await WsPeer.open(env)
  if (!peer) return
  await maybeHello(rng, env, peer)
  for (let i = rng.int(1, 120); i > 0 && peer.open && !env.stopping(); i--) await peer.send(rng.chance(0.6) ? anythingFrame(rng) : oddFrame(rng))
  await peer.finish()
}
