import { mutatedFrame } from '../gen/mutate.js'
import { WsPeer } from '../wsPeer.js'
import { maybeHello } from './hello.js'
import type { Episode } from './types.js'

/** Structurally valid frames of every client type with mutated fields, before and after `hello` ([P3], [P6]). */
export const mutated: Episode = async (rng, env) => {
  const peer = await WsPeer.open(env)
  if (!peer) return
  await maybeHello(rng, env, peer)
  for (let i = rng.int(1, 80); i > 0 && peer.open && !env.stopping(); i--) await peer.send(mutatedFrame(rng).bytes)
  await peer.finish()
}
