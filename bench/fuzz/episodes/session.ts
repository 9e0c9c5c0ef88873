import { PROTOCOL_VERSION, encodeFrame, type ClientMessage } from '../../../protocol/index.js'
import { ConvState, FuzzDevice } from '../gen/device.js'
import { mutatedFrame } from '../gen/mutate.js'
import { randomBinary } from '../gen/bytes.js'
import { CAPS } from '../gen/templates.js'
import type { Rng } from '../rng.js'
import { WsPeer } from '../wsPeer.js'
import type { Episode, EpisodeEnv } from './types.js'

/**
 * An authenticated device (a real hello: device and mailbox proofs, [S2]) sending valid frames
 * in random order and out of order: push before join, subscribe before hello, mail-done of ids
 * it never had, duplicate pushes, seq gaps, broken chains, equivocation, stale and foreign
 * epochs, snapshots, rotations and conflicting rotations, mail to itself (until its mailbox is
 * full) and to strangers, and now and then a second device that joins and subscribes, so
 * fan-out and revocation ([S5], [S10]) run too.
 */
const ACTIONS = {
  join: 4, joinBadProof: 1, joinUnregistered: 1, push: 12, pushDuplicate: 2, pushGap: 1, pushBroken: 1, pushEquivocate: 1, pushStale: 1, pushForeign: 1,
  pushTampered: 1, pushGarbage: 1, pushMany: 0.3, pushOverCap: 0.2, snapshot: 1, snapshotBad: 0.5, rekey: 1, rekeyConflict: 0.5, rekeyBadProof: 0.5,
  subscribe: 3, subscribeUnjoined: 1, unsubscribe: 1, mailSelf: 2, mailStrangers: 1, mailDuplicate: 0.5, mailSelfDecoys: 0.05, mailAtCap: 0.01, mailHeavy: 0.005,
  mailDone: 1, mailDoneReal: 1.5, mailDonePools: 0.5, ping: 1, helloAgain: 0.5, garbage: 1, mutated: 1,
} as const
type Action = keyof typeof ACTIONS

export const session: Episode = async (rng, env) => {
  const device = new FuzzDevice(rng.pick(env.devices))
  const peer = await WsPeer.open(env)
  if (!peer) return
  // Out of order from the start: a frame before the hello (NOT_AUTHENTICATED, fatal).
  if (rng.chance(env.preAuth / 4)) await peer.send(await frameFor(rng.pick(['push', 'subscribe', 'join', 'mailDone', 'rekey'] as const), rng, env, device, peer, [ConvState.create(device.keys, rng)]))
  await peer.sendMessage(await device.identity.hello(peer.challenge, rng.chance(0.02) ? { v: PROTOCOL_VERSION + rng.int(1, 3) } : {}))
  await peer.until(() => peer.received.some((m) => m.type === 'welcome'), 5_000)
  // A device that reads its mailbox marks it done (or the pool's mailboxes stay full, and every hello gets 1,000 items).
  if (rng.chance(0.6)) {
    await peer.until(() => false, 20)
    while (peer.mailboxIds.length) await peer.sendMessage({ type: 'mail-done', ids: peer.mailboxIds.splice(0, 1000) })
  }
  const convs = [ConvState.create(device.keys, rng)]
  if (rng.chance(0.2)) convs.push(ConvState.create(device.keys, rng))
  // Usually register first so later frames reach the deep paths; otherwise everything is out of order.
  const registered = rng.chance(0.8)
  if (registered) for (const c of convs) await peer.sendMessage(await device.join(c, peer.challenge))
  const listener = registered && rng.chance(0.25) ? await listen(rng, env, peer, convs[0]!) : undefined
  for (let i = rng.int(20, 200); i > 0 && peer.open && !env.stopping(); i--) {
    await peer.send(await frameFor(rng.weighted(ACTIONS), rng, env, device, peer, convs))
    // Now and then let the answers catch up, so later frames see the server's state move.
    if (rng.chance(0.1)) await peer.until(() => false, rng.int(1, 50))
  }
  await listener?.finish()
  await peer.finish()
}

/** A second device of the pool joins the first conversation (its capability is known) and subscribes. */
async function listen(rng: Rng, env: EpisodeEnv, peer: WsPeer, c: ConvState): Promise<WsPeer | undefined> {
  await peer.until(() => peer.received.some((m) => m.type === 'joined' || m.type === 'error'), 5_000)
  const other = new FuzzDevice(rng.pick(env.devices))
  const listener = await WsPeer.open(env)
  if (!listener) return undefined
  await listener.sendMessage(await other.identity.hello(listener.challenge))
  await listener.sendMessage(await other.join(c, listener.challenge, false))
  for (const chain of c.docs.length ? c.docs : [c.doc(rng)]) await listener.sendMessage({ type: 'subscribe', conv: c.conv, doc: chain.doc, cursor: rng.pick([0, 0, 1, rng.int(0, 100), Number.MAX_SAFE_INTEGER]) })
  return listener
}

async function frameFor(action: Action, rng: Rng, env: EpisodeEnv, device: FuzzDevice, peer: WsPeer, convs: ConvState[]): Promise<Uint8Array> {
  const c = rng.pick(convs)
  const msg = (m: ClientMessage) => encodeFrame(m)
  const id = rng.pick([0, rng.int(1, 1000), Number.MAX_SAFE_INTEGER])
  const push = (envelopes: Uint8Array[]) => msg({ type: 'push', id, envelopes })
  switch (action) {
    case 'join':
      return msg(await device.join(c, peer.challenge, rng.chance(0.7)))
    case 'joinBadProof': {
      const join = await device.join(c, peer.challenge)
      return msg({ ...join, proof: rng.bytes(64), epoch: rng.chance(0.5) ? join.epoch : join.epoch + 1 })
    }
    case 'joinUnregistered':
      return msg(await device.join(ConvState.create(device.keys, rng), peer.challenge, false))
    case 'push':
      return push(await sealMany(rng, device, c, rng.int(1, 6)))
    case 'pushDuplicate': {
      const chain = c.doc(rng)
      const old = chain.sealed.length ? rng.pick(chain.sealed).bytes : await device.seal(c, chain, rng)
      return push([old, old])
    }
    case 'pushGap': {
      const chain = c.doc(rng)
      return push([await device.seal(c, chain, rng, { seq: chain.seq + rng.int(2, 1000) })])
    }
    case 'pushBroken': {
      const chain = c.doc(rng)
      return push([await device.seal(c, chain, rng, { prev: rng.bytes(32) as never, seq: chain.seq + 1 })])
    }
    case 'pushEquivocate': {
      const chain = c.doc(rng)
      const old = chain.sealed.length ? rng.pick(chain.sealed) : undefined
      return push([await device.seal(c, chain, rng, old ? { seq: old.seq, prev: old.prev } : { seq: 1, prev: rng.bytes(32) as never })])
    }
    case 'pushStale':
      return push([await device.seal(c, c.doc(rng), rng, { epoch: rng.pick([c.epoch + 1, Math.max(0, c.epoch - 1), 0xffffffff]) })])
    case 'pushForeign': {
      // A document already in one conversation, named under another ([S4] invariant 5), or a conversation never joined.
      const other = convs.find((o) => o !== c) ?? ConvState.create(device.keys, rng)
      const chain = c.doc(rng)
      return push([await device.seal(other, { ...chain, sealed: [] }, rng, { seq: 1, prev: new Uint8Array(32) as never, advance: false })])
    }
    case 'pushTampered': {
      const chain = c.doc(rng)
      const bytes = (await device.seal(c, chain, rng, { advance: false, seq: chain.seq + 1 })).slice()
      bytes[rng.int(0, bytes.length - 1)]! ^= 1 << rng.int(0, 7)
      return push([bytes])
    }
    case 'pushGarbage':
      return push(Array.from({ length: rng.int(1, 4) }, () => randomBinary(rng)))
    case 'pushMany':
      return push(await sealMany(rng, device, c, rng.int(50, CAPS.envelopesPerPush)))
    case 'pushOverCap':
      return push(await sealMany(rng, device, c, CAPS.envelopesPerPush + 1))
    case 'snapshot':
      return push([await device.snapshot(c, c.doc(rng), rng)])
    case 'snapshotBad': {
      const chain = c.doc(rng)
      return push([await device.seal(c, chain, rng, { kind: 2, seq: Math.max(1, chain.seq + rng.int(0, 3)), prev: rng.bytes(32) as never, advance: false })])
    }
    case 'rekey':
      return msg(await device.rekey(c, peer.challenge, rng.chance(0.9) ? c.epoch + 1 : rng.u32()))
    case 'rekeyConflict': {
      const stale = Math.max(0, c.epoch - 1)
      return msg(await device.rekey(c, peer.challenge, c.epoch + 1, rng.chance(0.5) ? stale : c.epoch + 5))
    }
    case 'rekeyBadProof':
      return msg({ type: 'rekey', conv: c.conv, from: c.epoch, epoch: c.epoch + 1, cap: rng.bytes(32), admin: rng.bytes(32), proof: rng.bytes(64) })
    case 'subscribe':
      return msg({ type: 'subscribe', conv: c.conv, doc: c.doc(rng).doc, cursor: rng.pick([0, 0, 1, rng.int(0, 500), Number.MAX_SAFE_INTEGER]) })
    case 'subscribeUnjoined':
      return msg({ type: 'subscribe', conv: rng.bytes(16), doc: rng.bytes(16), cursor: 0 })
    case 'unsubscribe':
      return msg({ type: 'unsubscribe', conv: rng.chance(0.5) ? c.conv : rng.bytes(16), doc: rng.chance(0.5) ? c.doc(rng).doc : rng.bytes(16) })
    case 'mailSelf':
      return msg({ type: 'mail', id, to: [device.mailbox], items: Array.from({ length: rng.int(1, 8) }, () => rng.bytes(rng.size(600))) })
    case 'mailStrangers': {
      const to = [...(rng.chance(0.5) ? [device.mailbox] : []), ...Array.from({ length: rng.int(1, 40) }, () => rng.bytes(32))]
      return msg({ type: 'mail', id, to, decoys: Array.from({ length: rng.int(0, 24) }, () => rng.bytes(32)), items: [rng.bytes(rng.size(1500))] })
    }
    case 'mailDuplicate':
      return msg({ type: 'mail', id, to: [device.mailbox, device.mailbox], items: [rng.bytes(8)] })
    case 'mailSelfDecoys':
      // A large fanout: reading it with a pool key makes the server derive a pool of up to 20,000 entries ([S11]).
      return msg({ type: 'mail', id, to: [device.mailbox], decoys: Array.from({ length: rng.int(1000, CAPS.mailRecipients - 1) }, () => rng.bytes(32)), items: [rng.bytes(64)] })
    case 'mailAtCap':
      return msg({ type: 'mail', id, to: Array.from({ length: CAPS.mailRecipients }, () => rng.bytes(32)), items: Array.from({ length: rng.int(1, 2) }, () => rng.bytes(64)) })
    case 'mailHeavy':
      // Recipients × items at both caps ([P6]): issue 9 defect 2. Only as many as the phase allows.
      if (env.heavyMail.left <= 0) return msg({ type: 'ping', t: rng.u32() })
      env.heavyMail.left--
      return msg({ type: 'mail', id, to: Array.from({ length: CAPS.mailRecipients }, () => rng.bytes(32)), items: Array.from({ length: CAPS.mailItems }, () => rng.bytes(16)) })
    case 'mailDone':
      return msg({ type: 'mail-done', ids: Array.from({ length: rng.int(1, 50) }, () => rng.pick([0, rng.int(1, 1_000_000), Number.MAX_SAFE_INTEGER])) })
    case 'mailDoneReal':
    case 'mailDonePools': {
      const ids = peer.mailboxIds.length ? peer.mailboxIds.splice(0, rng.int(1, 1000)) : [rng.int(1, 1000)]
      const pools = action === 'mailDonePools' ? ids.slice(0, rng.int(1, 16)).map((i) => ({ id: i, key: rng.bytes(32) })) : undefined
      return msg({ type: 'mail-done', ids, ...(pools ? { pools } : {}) })
    }
    case 'ping':
      return msg({ type: 'ping', t: rng.pick([0, -0, rng.float(), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE]) })
    case 'helloAgain':
      return msg(await device.identity.hello(peer.challenge))
    case 'garbage':
      return randomBinary(rng)
    case 'mutated':
      return mutatedFrame(rng).bytes
  }
}

async function sealMany(rng: Rng, device: FuzzDevice, c: ConvState, n: number) {
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) out.push(await device.seal(c, c.doc(rng), rng))
  return out
}
