import { expect, test } from 'vitest'
import type { ConvId, ServerMessage } from '../../protocol/index.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { tappedLink } from './helpers/tappedSocket.js'
import { conversationWith } from './helpers/team.js'

const env = useServer()

/** The epoch a device writes under, as the conversation's graph states it. */
const currentEpoch = (p: Persona, conv: ConvId) => p.messenger.team.core.spaces.state(conv)?.current?.epoch

test('[S10][T8][T11][T13] a rotation reaches every member in a bundle; a device whose bundle is late waits for the key, then reads; a newcomer reads the history', async () => {
  const tap = tappedLink()
  const [alice, bob, carol, frank] = await Promise.all(['Alice', 'Bob', 'Carol', 'Frank'].map((n) => env.persona(n)))
  const dave = await env.persona('Dave', { socket: tap.socket })
  const members = [alice!, bob!, carol!, dave]
  for (const p of [...members, frank!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!, dave, frank!], 'Yard')
  await alice!.messenger.send(conv, 'before the rotation')
  await until(() => members.every((p) => texts(p, conv).includes('before the rotation')), 'first message')

  // Dave's bundles are late: the server holds them back (a slow mailbox) until the test lets them go.
  const late: Extract<ServerMessage, { type: 'mailbox' }>[] = []
  tap.filter = (m) => {
    if (m.type !== 'mailbox') return m
    late.push(m)
    return undefined
  }
  // No manual rotation exists: a membership change rotates the key ([T8]).
  const before = currentEpoch(alice!, conv)
  await alice!.messenger.removeMember(conv, frank!.messenger.identity!.deviceId)
  await until(() => currentEpoch(alice!, conv) !== before, 'alice rotated')
  const epoch = currentEpoch(alice!, conv)!
  // Every member gets the new key in the rotation's bundle and goes on; nobody is left out.
  await until(() => [bob!, carol!].every((p) => p.messenger.epochKeys(conv).some((k) => k.epoch === epoch) && !p.messenger.accessLost(conv)), 'members have the new key')
  await until(() => frank!.messenger.accessLost(conv), 'frank is out')
  await alice!.messenger.send(conv, 'after the rotation')
  await carol!.messenger.send(conv, 'carol after the rotation')
  await until(() => [alice!, bob!, carol!].every((p) => texts(p, conv).includes('after the rotation') && texts(p, conv).includes('carol after the rotation')), 'everyone keeps talking')

  // Dave sees envelopes under an epoch he holds no key for yet: he waits, he is not removed.
  await until(() => dave.messenger.waitingForKey(conv), 'dave waits for the new key')
  expect(late.length).toBeGreaterThan(0)
  expect(dave.messenger.accessLost(conv)).toBe(false)
  expect(dave.messenger.epochKeys(conv).some((k) => k.epoch === epoch)).toBe(false)
  expect(texts(dave, conv)).toContain('before the rotation')
  expect(texts(dave, conv)).not.toContain('after the rotation')
  tap.filter = (m) => m
  for (const m of late.splice(0)) tap.inject(m)
  await until(() => texts(dave, conv).includes('after the rotation') && texts(dave, conv).includes('carol after the rotation'), 'what waited opens once the key arrives')
  expect(dave.messenger.waitingForKey(conv)).toBe(false)
  expect(texts(dave, conv)).toEqual(texts(alice!, conv))

  // Erin is admitted now (another rotation): the key chain gives her everything, old and new.
  const erin = await env.persona('Erin')
  erin.messenger.start()
  await erin.messenger.join((await alice!.messenger.invite(conv, 'http://x')).link)
  await until(() => erin.messenger.conversations().some((c) => c.conv === conv), 'erin admitted')
  await erin.messenger.openConversation(conv)
  await until(() => texts(erin, conv).includes('before the rotation') && texts(erin, conv).includes('carol after the rotation'), 'erin reads the history')
  expect(texts(erin, conv)).toEqual(texts(alice!, conv))
})
