import type { Rng } from '../rng.js'
import type { WsPeer } from '../wsPeer.js'
import type { EpisodeEnv } from './types.js'

/** Before or after a real `hello`, as the phase likes it: the same bytes meet different code paths. */
export async function maybeHello(rng: Rng, env: EpisodeEnv, peer: WsPeer): Promise<void> {
  if (rng.chance(env.preAuth)) return
  await peer.sendMessage(await rng.pick(env.devices).hello(peer.challenge))
  await peer.until(() => peer.received.some((m) => m.type === 'welcome'), 5_000)
}
