import { expect, test } from 'vitest'
import { parseInvitation } from '../../client/core/conversations/invite.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'

const env = useServer()
const server = () => env.server()
/** Personas are closed by useServer after the file's tests. */
const people: Persona[] = []
const persona = async (name: string, _url?: string, options?: Parameters<typeof env.persona>[1]) => env.persona(name, options)

test('[S10][M21][M22] a key rotation reaches every member by mail; a device holding only the new key waits for the old one, then reads the history', async () => {
  const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((n) => persona(n, server().url)))
  people.push(alice!, bob!, carol!)
  for (const p of [alice!, bob!, carol!]) p.messenger.start()
  const conv = await alice!.messenger.createConversation('Yard')
  const link = alice!.messenger.inviteLink('http://x', conv)
  for (const p of [bob!, carol!]) await p.messenger.join(parseInvitation(link))
  for (const p of [alice!, bob!, carol!]) await p.messenger.openConversation(conv)
  await alice!.messenger.send(conv, 'before the rotation')
  await until(() => [bob!, carol!].every((p) => texts(p, conv).includes('before the rotation')), 'first message')

  const { epoch } = await alice!.messenger.rotateKey(conv)
  // Every member gets the new key by mail and goes on; nobody is left out.
  await until(() => [bob!, carol!].every((p) => p.messenger.invitationKeys(conv).some((k) => k.epoch === epoch) && !p.messenger.accessLost(conv)), 'members have the new key')
  await alice!.messenger.send(conv, 'after the rotation')
  await carol!.messenger.send(conv, 'carol after the rotation')
  await until(() => [alice!, bob!, carol!].every((p) => texts(p, conv).includes('after the rotation') && texts(p, conv).includes('carol after the rotation')), 'everyone keeps talking')

  // Erin is invited now with the full key chain: she reads everything, old and new.
  const erin = await persona('Erin', server().url)
  people.push(erin)
  erin.messenger.start()
  await erin.messenger.join(parseInvitation(alice!.messenger.inviteLink('http://x', conv)))
  await erin.messenger.openConversation(conv)
  await until(() => texts(erin, conv).includes('before the rotation') && texts(erin, conv).includes('carol after the rotation'), 'erin reads the history')

  // Dave holds only the new key (a link without history): everything he cannot open waits.
  const dave = await persona('Dave', server().url)
  people.push(dave)
  dave.messenger.start()
  const inv = parseInvitation(alice!.messenger.inviteLink('http://x', conv))
  await dave.messenger.join({ conv: inv.conv, epoch: inv.epoch, key: inv.key, title: inv.title })
  await dave.messenger.openConversation(conv)
  await until(() => dave.messenger.waitingForKey(conv), 'dave waits for the old key')
  expect(texts(dave, conv)).not.toContain('before the rotation')
  const oldKey = alice!.messenger.invitationKeys(conv).find((k) => k.epoch === 0)!
  await dave.messenger.addEpochKey(conv, 0, oldKey.key, false)
  await until(() => texts(dave, conv).includes('before the rotation') && texts(dave, conv).includes('after the rotation'), 'history opens once the key arrives')
  expect(dave.messenger.waitingForKey(conv)).toBe(false)
  expect(texts(dave, conv)).toEqual(texts(alice!, conv))
})
