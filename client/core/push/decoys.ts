import { randomBytes } from '../../../crypto/index.js'
import { MAX_WAKE_TOKENS } from '../../../protocol/index.js'

/**
 * [M64] The tokens of one wake, padded with random ones to at least 4 and then a power of two
 * (as mail is padded, [M27]), shuffled, in frames of at most MAX_WAKE_TOKENS: the server sees
 * how many devices a writer wakes only as a bucket. A random token names no subscription
 * (the server skips it in silence, protocol [S51]).
 */
export function wakeFrames(tokens: readonly Uint8Array[]): Uint8Array[][] {
  const real = tokens.slice()
  let size = 4
  while (size < real.length) size *= 2
  const padded = [...real]
  while (padded.length < size) padded.push(randomBytes(32))
  for (let i = padded.length - 1; i > 0; i--) {
    const j = randomBytes(4).reduce((n, b) => n * 256 + b, 0) % (i + 1)
    ;[padded[i], padded[j]] = [padded[j]!, padded[i]!]
  }
  const frames: Uint8Array[][] = []
  for (let i = 0; i < padded.length; i += MAX_WAKE_TOKENS) frames.push(padded.slice(i, i + MAX_WAKE_TOKENS))
  return frames
}
