import { expect, test } from 'vitest'
import { splitEnvelope, toBase64Url } from '../../crypto/index.js'
import type { ConvId, ServerMessage } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { tappedLink, type Tap } from './helpers/tappedSocket.js'
import { enrol, groupWith, userOf } from './helpers/team.js'

/**
 * [M26] The re-check when the membership changes. Two organisation admins act on a group
 * concurrently: A1, offline, removes Carol; A2, online, adds Dave — a rotation that, not knowing
 * of the removal, is still sealed to Carol. Carol writes under that epoch and Bob shows it. When
 * A1 is back its removal merges into Bob's graph: concurrent with A2's rotation, so Carol was
 * never a member device of that epoch ([T5] strong remove). Bob stops showing what she wrote
 * under it, keeps what she wrote before, and drops (M304) any further envelope of hers under it.
 */
const env = useServer()
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
const me = (p: Persona) => p.messenger.team.core.me
const current = (p: Persona, group: ConvId) => p.messenger.team.group(group)?.current?.epoch
const holdsKey = (p: Persona, group: ConvId, epoch: number) => p.messenger.epochKeys(group).some((k) => k.epoch === epoch)
const m304 = (p: Persona, from = 0) => p.problems.slice(from).filter((x) => x.startsWith(ClientErrorCode.NOT_EPOCH_MEMBER))

/**
 * The split, up to the point where Bob shows Carol's message under A2's epoch `e1` (A1 still
 * offline, its removal of Carol queued). `e0`: the group's epoch before the split.
 */
async function split(tag: string) {
  const a1Link = switchableLink()
  const bobTap = tappedLink()
  const a1 = await env.persona(`A1${tag}`, { socket: a1Link.socket })
  const a2 = await env.persona(`A2${tag}`)
  const bob = await env.persona(`Bob${tag}`, { socket: bobTap.socket })
  const carol = await env.persona(`Carol${tag}`)
  const dave = await env.persona(`Dave${tag}`)
  for (const p of [a1, a2, bob, carol, dave]) p.messenger.start()

  const org = await enrol(a1, [a2, bob, carol, dave], `Recheck ${tag}`)
  await a1.messenger.team.promote(org, userOf(a2, org))
  await until(() => a2.messenger.team.canAdmin(org), 'A2 is an organisation admin')
  const group = await groupWith(a1, org, 'Yard', [a2, bob, carol])
  await until(() => a2.messenger.team.canAdmin(group) && !!a2.messenger.team.core.spaces.keysOf(group).adminSecret, 'A2 can act on the group')
  const carolUser = userOf(carol, org)

  // Carol writes under the group's epoch before the split: this stays shown whatever happens later.
  const e0 = current(carol, group)!
  await carol.messenger.send(group, 'carol before the split')
  await until(() => [a1, a2, bob].every((p) => texts(p, group).includes('carol before the split')), 'everyone shows carol\'s first message')
  await until(() => [a1, a2, bob, carol].every((p) => p.messenger.status.pending === 0) && a1.messenger.queuedMail === 0, 'nothing in flight before the split')

  // A1, offline, removes Carol from the group (and rotates without her): queued, nobody knows.
  a1Link.setOnline(false)
  await a1.messenger.team.removeFromGroup(group, carolUser)
  expect(a1.messenger.team.group(group)!.members.has(carolUser)).toBe(false)
  await pause(300)
  expect(bob.messenger.team.group(group)!.members.has(carolUser)).toBe(true)

  // A2, online and not knowing, adds Dave: a rotation sealed to every member of its past, Carol too.
  await a2.messenger.team.addToGroup(group, [userOf(dave, org)])
  const e1 = current(a2, group)!
  expect(e1).not.toBe(e0)
  expect(a2.messenger.team.group(group)!.current!.recipients).toContain(me(carol))
  await until(() => current(carol, group) === e1 && holdsKey(carol, group, e1) && current(bob, group) === e1 && holdsKey(bob, group, e1), 'carol and bob are at A2\'s epoch')

  await carol.messenger.send(group, 'carol under A2\'s epoch')
  await until(() => carol.messenger.status.pending === 0, 'the server took carol\'s message under A2\'s epoch')
  // The precondition of the re-check: bob SHOWS it, carol being a member device of e1 in his graph now.
  await until(() => texts(bob, group).includes('carol under A2\'s epoch'), 'bob shows carol\'s message under e1')
  expect(bob.messenger.team.memberOfEpoch(group, e1, me(carol))).toBe(true)
  expect(bob.messenger.messages(group).find((m) => m.text === 'carol under A2\'s epoch')!.author).toBe(carol.messenger.identity!.deviceId)
  await until(() => texts(a2, group).includes('carol under A2\'s epoch'), 'A2 shows it too')
  return { a1, a1Link, a2, bob, bobTap, carol, dave, org, group, carolUser, e0, e1 }
}

/** Holds from `tap`'s device every delivery of `group` that carries an envelope under `epoch`. */
function holdEpoch(tap: Tap, group: ConvId, epoch: number): Extract<ServerMessage, { type: 'envelopes' }>[] {
  const held: Extract<ServerMessage, { type: 'envelopes' }>[] = []
  tap.filter = (m) => {
    if (m.type === 'envelopes' && toBase64Url(m.conv) === group && m.items.some((i) => splitEnvelope(i.env)?.header.epoch === epoch)) {
      held.push(m)
      return undefined
    }
    return m
  }
  return held
}

test('[M26][T5] a message shown under an epoch is hidden once a merge reveals its author\'s removal concurrent with that epoch; further envelopes under it are applied (others may build on them) and never shown', async () => {
  const { a1, a1Link, a2, bob, bobTap, carol, dave, group, carolUser, e0, e1 } = await split('R')

  // A second message of carol's under e1 is held on bob's link (a slow server) until after the merge.
  const held = holdEpoch(bobTap, group, e1)
  await carol.messenger.send(group, 'carol again under A2\'s epoch')
  await until(() => carol.messenger.status.pending === 0 && held.length > 0, 'carol\'s second message is stored, and held from bob')
  expect(texts(bob, group)).not.toContain('carol again under A2\'s epoch')
  const problemsBefore = bob.problems.length

  // A1 is back: its removal merges. It is concurrent with A2's rotation.
  a1Link.setOnline(true)
  await until(() => !bob.messenger.team.group(group)!.members.has(carolUser), 'bob\'s graph has carol\'s removal')
  const epoch1 = bob.messenger.team.group(group)!.epochs.find((e) => e.epoch === e1)!
  expect(epoch1.recipients).toContain(me(carol)) // the key WAS sealed to her
  expect(epoch1.tainted).toBe(true)
  expect(bob.messenger.team.memberOfEpoch(group, e1, me(carol))).toBe(false)
  expect(bob.messenger.team.memberOfEpoch(group, e0, me(carol))).toBe(true)
  expect(bob.messenger.team.memberOfEpoch(group, e1, me(bob))).toBe(true)

  // The re-check: what carol wrote under e1 is no longer shown; what she wrote under e0 still is.
  expect(texts(bob, group)).not.toContain('carol under A2\'s epoch')
  expect(bob.messenger.messages(group).find((m) => m.text === 'carol before the split')?.author).toBe(carol.messenger.identity!.deviceId)
  // The same on A2's device once the removal reaches it (it showed the message too).
  await until(() => !a2.messenger.team.group(group)!.members.has(carolUser), 'A2\'s graph has carol\'s removal')
  expect(texts(a2, group)).not.toContain('carol under A2\'s epoch')
  expect(texts(a2, group)).toContain('carol before the split')

  // Her further envelope under e1 now reaches bob: she was a recipient of e1, so it is applied
  // (other members may have applied it before the merge and built on it) — and never shown.
  bobTap.filter = (m) => m
  for (const m of held) bobTap.inject(m)
  await pause(500)
  expect(m304(bob, problemsBefore)).toEqual([])
  expect(bob.problems.slice(problemsBefore).some((p) => p.startsWith(ClientErrorCode.LATE_ENVELOPE))).toBe(false)
  expect(texts(bob, group)).not.toContain('carol again under A2\'s epoch')
  expect(texts(bob, group)).not.toContain('carol under A2\'s epoch')
  // A1 was offline while carol wrote under e1: it fetches her envelopes with the removal known.
  await until(() => texts(a1, group).includes('carol before the split'), 'A1 has the history')
  await pause(300)
  expect(texts(a1, group)).toEqual(['carol before the split'])

  // The group heals without carol, with dave; A2 writes on and dave (who applied everything) shows it.
  await until(() => [a2, bob, dave].every((p) => {
    const s = p.messenger.team.group(group)
    return !!s?.current && !s.needsRotation && !s.current.recipients.includes(me(carol)) && s.current.recipients.includes(me(dave))
  }), 'a healing rotation without carol, with dave')
  await until(() => carol.messenger.accessLost(group), 'carol is told she is out')
  await dave.messenger.openConversation(group)
  await a2.messenger.send(group, 'after the merge')
  await until(() => texts(dave, group).includes('after the merge'), 'the group goes on')
  expect(texts(dave, group)).not.toContain('carol under A2\'s epoch')
  expect(texts(dave, group)).not.toContain('carol again under A2\'s epoch')
  // Carol's own device still shows her own words ([M26] hides other devices' messages only).
  expect(texts(carol, group)).toEqual(expect.arrayContaining(['carol before the split', 'carol under A2\'s epoch', 'carol again under A2\'s epoch']))
}, 120_000)

/**
 * A device that dropped an envelope which other members applied before the merge reached them
 * would have a hole in the document's Automerge history: every later change of theirs depends on
 * it, and Automerge would hold those back for good. So a concurrent removal hides what the
 * removed recipient wrote and never drops it. Here the device is A1 itself, the admin who removed
 * carol while offline.
 */
test('[M26] the offline admin, which hides carol\'s envelope under e1, still shows what A2 writes after it in that document', async () => {
  const { a1, a1Link, a2, bob, group, carolUser } = await split('G')
  a1Link.setOnline(true)
  await until(() => texts(a1, group).includes('carol before the split'), 'A1 has the history')
  await until(() => [a2, bob].every((p) => !p.messenger.team.group(group)!.members.has(carolUser)), 'the removal is everywhere')
  await a2.messenger.send(group, 'after the merge')
  await until(() => texts(bob, group).includes('after the merge'), 'bob (who applied carol\'s change before the merge) shows it')
  await until(() => texts(a1, group).includes('after the merge'), 'A1 shows it', 8000)
}, 120_000)
