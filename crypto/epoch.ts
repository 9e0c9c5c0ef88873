import { asEpochKey, type EpochKey } from './keys.js'
import { randomBytes } from './random.js'

/** [K0] An epoch key is 32 fresh random bytes: never derived from anything a peer could know. */
export function generateEpochKey(): EpochKey {
  return asEpochKey(randomBytes(32))
}
