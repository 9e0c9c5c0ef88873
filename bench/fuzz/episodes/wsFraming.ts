import { encodeFrame } from '../../../protocol/index.js'
import { RawPeer, clientFrame } from '../rawPeer.js'
import type { Episode } from './types.js'

/**
 * Broken WebSocket framing, which ws refuses before our code sees a frame (close 1002 protocol
 * error, 1007 invalid UTF-8, 1009 too big: counted apart as ws-level closes), a valid message in
 * fragments (answered as usual), and upgrades the server refuses over HTTP (wrong path, version).
 */
export const wsFraming: Episode = async (rng, env) => {
  const peer = await RawPeer.connect(env, env.port)
  if (!peer) return
  const which = rng.weighted({ broken: 6, fragmented: 2, badUpgrade: 1 })
  if (which === 'badUpgrade') {
    peer.write(rng.pick([
      RawPeer.upgradeRequest(rng.pick(['/', '/sync/', '/Sync', '/sync?x=1', '/healthz', '/recovery/00'])),
      RawPeer.upgradeRequest('/sync').replace('Version: 13', `Version: ${rng.pick([0, 8, 14, 99])}`),
      RawPeer.upgradeRequest('/sync').replace(/Sec-WebSocket-Key: [^\r]+/, 'Sec-WebSocket-Key: short'),
      'GET /sync HTTP/1.0\r\n\r\n',
      `${'A'.repeat(rng.int(1, 20_000))}\r\n\r\n`,
    ]))
    await peer.until(() => peer.ended, 5_000)
    if (!peer.ended) peer.close()
    return void peer.judge(false)
  }
  peer.write(RawPeer.upgradeRequest())
  if (!(await peer.waitUpgraded())) {
    if (!peer.ended) peer.close()
    return void peer.judge(false)
  }
  const ping = encodeFrame({ type: 'ping', t: rng.u32() })
  if (which === 'fragmented') {
    // One message in 2–4 fragments, a control ping between two of them (allowed by RFC 6455).
    const cuts = [0, ...Array.from({ length: rng.int(1, 3) }, () => rng.int(1, ping.length - 1)).sort((a, b) => a - b), ping.length]
    for (let i = 0; i + 1 < cuts.length; i++) {
      const part = ping.subarray(cuts[i], cuts[i + 1])
      const frame = clientFrame(part, { opcode: i === 0 ? 0x2 : 0x0, fin: i + 2 === cuts.length })
      peer.noteFrame(frame)
      peer.write(frame)
      if (i === 0 && rng.chance(0.5)) peer.write(clientFrame(rng.bytes(rng.int(0, 125)), { opcode: 0x9 }))
    }
    const answered = await peer.until(() => peer.received.some((m) => m.type === 'pong'), 5_000)
    if (!answered && !peer.ended) env.tally.find('hung', 'a fragmented ping was never answered', env.episode, peer.sent)
    peer.close()
    return void peer.judge(false)
  }
  const broken = [
    () => clientFrame(ping, { rsv: rng.int(1, 7) }),
    () => clientFrame(ping, { opcode: rng.pick([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]) }),
    () => clientFrame(ping, { masked: false }),
    () => clientFrame(rng.bytes(rng.int(126, 300)), { opcode: 0x9 }),
    () => clientFrame(rng.bytes(4), { opcode: 0x9, fin: false }),
    () => clientFrame(ping, { opcode: 0x0 }),
    () => Buffer.concat([clientFrame(ping.subarray(0, 2), { fin: false }), clientFrame(ping, { opcode: 0x2 })]),
    () => clientFrame(Uint8Array.of(0xc3, 0x28, 0xff, 0xfe), { opcode: 0x1 }),
    () => clientFrame(Uint8Array.of(0x03, rng.pick([0xe7, 0xed, 0xee]), 0x41), { opcode: 0x8 }), // close with a code ws refuses (999, 1005, 1006)
    () => clientFrame(Uint8Array.of(0x03), { opcode: 0x8 }),
    () => clientFrame(new Uint8Array(0), { declaredLength: rng.pick([2n ** 63n, 2n ** 64n - 1n, BigInt(env.timers.hardFrameBytes + 1)]) }),
  ]
  const frame = rng.pick(broken)()
  peer.noteFrame(frame)
  peer.write(frame)
  await peer.until(() => peer.ended, 5_000)
  if (!peer.ended) {
    // ws may be waiting for the rest of a declared length; the fuzzer gives up on it.
    peer.close()
  }
  peer.judge(true)
}
