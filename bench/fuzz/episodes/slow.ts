import { encodeFrame } from '../../../protocol/index.js'
import { RawPeer, clientFrame } from '../rawPeer.js'
import type { Episode, EpisodeEnv } from './types.js'

/**
 * Slow senders ([S6]): a silent TCP connection, a half-finished HTTP upgrade (silent, or one
 * header line now and then), a frame dribbled a byte at a time (answered as usual), half a frame
 * then silence, before and after the hello. The server must end what it does not keep with its
 * announced timers, coded once the WebSocket is open; a peer still open well past them is "kept".
 */
export const slow: Episode = async (rng, env) => {
  const peer = await RawPeer.connect(env, env.port)
  if (!peer) return
  const t = env.timers
  const which = rng.weighted({ silent: 1, halfUpgrade: 2, dribble: 3, halfFrame: 3 })
  let deadline: number
  let heardBefore: number | undefined
  switch (which) {
    case 'silent':
      deadline = t.silentSocketMs + 5_000
      break
    case 'halfUpgrade': {
      const request = RawPeer.upgradeRequest()
      peer.write(request.slice(0, rng.int(1, request.length - 3)))
      if (rng.chance(0.5)) void drip(peer, env)
      deadline = t.headersTimeoutMs + 5_000
      break
    }
    case 'dribble':
    case 'halfFrame': {
      peer.write(RawPeer.upgradeRequest())
      const challenge = await peer.waitUpgraded()
      if (!challenge) return void finish(peer, env, which, false)
      const authed = rng.chance(0.5)
      if (authed) {
        const hello = clientFrame(encodeFrame(await rng.pick(env.devices).hello(challenge)))
        peer.noteFrame(hello)
        peer.write(hello)
        await peer.until(() => peer.received.some((m) => m.type === 'welcome' || m.type === 'error'), 5_000)
      }
      const ping = clientFrame(encodeFrame({ type: 'ping', t: rng.u32() }))
      peer.noteFrame(ping)
      if (which === 'dribble') {
        // Within the timers: the frame must be answered. (Timers count whole frames only.)
        const budget = Math.min(authed ? t.idleTimeoutMs : t.handshakeTimeoutMs, 4_000) / 3
        await peer.dribble(ping, Math.max(1, Math.floor(budget / ping.length)))
        const answered = await peer.until(() => peer.received.some((m) => m.type === 'pong'), 5_000)
        if (!answered && !peer.ended) env.tally.find('hung', 'a frame dribbled a byte at a time was never answered', env.episode, peer.sent)
        return void finish(peer, env, which, true)
      }
      peer.write(ping.subarray(0, rng.int(1, ping.length - 1)))
      heardBefore = peer.received.length
      deadline = (authed ? t.idleTimeoutMs + Math.min(15_000, t.idleTimeoutMs / 4) : t.handshakeTimeoutMs) + t.closeGraceMs + 5_000
      break
    }
  }
  await waitEnd(peer, env, deadline)
  finish(peer, env, heardBefore === undefined ? which : `${which} (${peer.received.length - heardBefore} frames from the server meanwhile)`, false)
}

async function drip(peer: RawPeer, env: EpisodeEnv): Promise<void> {
  for (let i = 0; !peer.ended && !env.stopping() && i < 1000; i++) {
    peer.write(`X-Slow-${i}: 1\r\n`)
    await new Promise((r) => setTimeout(r, 300))
  }
}

async function waitEnd(peer: RawPeer, env: EpisodeEnv, ms: number): Promise<void> {
  const until = performance.now() + ms
  while (!peer.ended && !env.stopping() && performance.now() < until) await peer.until(() => false, 250)
}

function finish(peer: RawPeer, env: EpisodeEnv, which: string, closeNow: boolean): void {
  if (closeNow || env.stopping()) {
    if (!peer.ended) peer.close()
  } else if (!peer.ended) {
    env.tally.find('kept', `${which}: still open past the server's timers`, env.episode, peer.sent)
    peer.close()
  }
  peer.judge(false)
}
