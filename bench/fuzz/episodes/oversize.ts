import { randomBytes } from 'node:crypto'
import { encodeFrame } from '../../../protocol/index.js'
import { WsPeer } from '../wsPeer.js'
import type { Episode } from './types.js'

/** One buffer for every oversized frame of the process: its contents never reach a decoder. */
let filler: Buffer | undefined
const fill = (n: number) => (filler && filler.length >= n ? filler : (filler = randomBytes(n))).subarray(0, n)

/**
 * Frames at and over the size limits ([S6]): just over `maxFrameBytes` (FRAME_TOO_LARGE, the
 * socket stays), exactly at it (decoded: BAD_FRAME or a schema-valid push of 1 MiB envelopes),
 * and over `hardFrameBytes` (ws closes with 1009 without reading the rest: a ws-level close).
 */
export const oversize: Episode = async (rng, env) => {
  const { maxFrameBytes, hardFrameBytes } = env.timers
  const which = rng.weighted({ justOver: 5, atLimit: 2, validAtLimit: 2, between: 1, overHard: 1 })
  const peer = await WsPeer.open(env, { expectWsLevel: which === 'overHard' })
  if (!peer) return
  const frame = (n: number) => {
    const out = Buffer.from(fill(n))
    out.set(rng.bytes(Math.min(n, 16)))
    return out
  }
  switch (which) {
    case 'justOver':
      for (let i = rng.int(1, 3); i > 0; i--) await peer.send(frame(maxFrameBytes + rng.pick([1, 2, rng.int(1, 100_000)])))
      break
    case 'atLimit':
      await peer.send(frame(maxFrameBytes))
      break
    case 'validAtLimit': {
      // Four envelopes that fill the frame to the limit: schema-valid, refused per envelope (BAD_ENVELOPE) or, before hello, NOT_AUTHENTICATED.
      const mib = 1024 * 1024
      const envelopes = [fill(mib), fill(mib), fill(mib), fill(mib - 64)].map((b) => new Uint8Array(b))
      let msg = encodeFrame({ type: 'push', id: 1, envelopes })
      while (msg.length > maxFrameBytes) {
        envelopes[3] = envelopes[3]!.subarray(0, envelopes[3]!.length - (msg.length - maxFrameBytes))
        msg = encodeFrame({ type: 'push', id: 1, envelopes })
      }
      await peer.send(msg)
      break
    }
    case 'between':
      await peer.send(frame(rng.int(maxFrameBytes + 1, hardFrameBytes)))
      break
    case 'overHard':
      await peer.send(frame(hardFrameBytes + rng.pick([1, 1024])))
      break
  }
  await peer.finish()
}
