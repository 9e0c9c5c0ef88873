import { cbor } from './cbor.js'
import { garbage } from './garbage.js'
import { mutated } from './mutated.js'
import { flood } from './flood.js'
import { handshake } from './handshake.js'
import { oversize } from './oversize.js'
import { session } from './session.js'
import { slow } from './slow.js'
import { wsFraming } from './wsFraming.js'
import type { Episode } from './types.js'

/** Episodes of the main lane, by the names the phases weigh them under. */
export const MAIN_EPISODES: Readonly<Record<string, Episode>> = { garbage, cbor, mutated, session, handshake, oversize, flood, wsFraming }

/** Slow senders run in their own lane: they wait for the server's timers, not for its answers. */
export const SLOW_EPISODE: Episode = slow
