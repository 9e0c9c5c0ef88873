import { expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith } from './helpers/team.js'

const env = useServer()
const server = () => env.server()
/** Personas are closed by useServer after the file's tests. */
const people: Persona[] = []
const persona = async (name: string, _url?: string, options?: Parameters<typeof env.persona>[1]) => env.persona(name, options)
/** The epoch a device writes under, as the conversation's graph states it. */
const currentEpoch = (p: Persona, conv: ConvId) => p.messenger.team.core.spaces.state(conv)?.current?.epoch

test('[T8][T10][T13][S10][S11][M30] an admin removes Bob: Bob is cut off and told, and his device wipes the conversation; Carol gets the new key in a bundle and the others keep talking', async () => {
  const [admin, bob, carol] = await Promise.all(['Admin', 'Bob', 'Carol'].map((n) => persona(n, server().url)))
  people.push(admin!, bob!, carol!)
  for (const p of people) p.messenger.start()
  const conv = await conversationWith(admin!, [bob!, carol!], 'Crew')
  await admin!.messenger.send(conv, 'welcome all')
  await bob!.messenger.send(conv, 'bob says hi')
  await until(() => people.every((p) => p.messenger.members(conv).size === 3 && texts(p, conv).includes('bob says hi')), 'everyone in')
  const before = currentEpoch(admin!, conv)

  await admin!.messenger.removeMember(conv, bob!.messenger.identity!.deviceId)
  await expect(admin!.messenger.removeMember(conv, bob!.messenger.identity!.deviceId)).rejects.toMatchObject({ code: 'M504_NOT_MEMBER' })
  // What Bob wrote stays, under his name.
  expect(admin!.messenger.messages(conv).find((m) => m.text === 'bob says hi')?.authorName).toBe('Bob')
  await until(() => bob!.messenger.accessLost(conv), 'bob is told he lost access')
  await until(() => bob!.messenger.status.connection === 'online', 'bob is not left "syncing" a conversation he lost')
  const after = currentEpoch(admin!, conv)!
  expect(after).not.toBe(before)
  await until(() => !carol!.messenger.accessLost(conv) && carol!.messenger.epochKeys(conv).some((k) => k.epoch === after), 'carol has the new key')
  expect(bob!.messenger.epochKeys(conv).some((k) => k.epoch === after)).toBe(false)

  await admin!.messenger.send(conv, 'after bob left')
  await carol!.messenger.send(conv, 'carol still here')
  await until(() => texts(carol!, conv).includes('after bob left') && texts(admin!, conv).includes('carol still here'), 'admin and carol keep talking')
  expect(admin!.messenger.members(conv).has(bob!.messenger.identity!.deviceId)).toBe(false)
  await new Promise((r) => setTimeout(r, 300))
  expect(texts(bob!, conv)).not.toContain('after bob left')
  expect(texts(bob!, conv)).not.toContain('carol still here')
  // [M30] A conversation is a one-space organisation: Bob's device deleted what it had of it, and says so.
  expect(texts(bob!, conv)).toEqual([])
  await until(() => bob!.messenger.wiped().some((w) => w.org === conv && !w.pending), 'bob\'s device wiped the conversation')
  expect(bob!.messenger.wiped()).toMatchObject([{ org: conv, name: 'Crew', reason: 'person-removed', conversation: true }])
  expect(bob!.messenger.conversations().map((c) => c.conv)).not.toContain(conv)
})

test('[T8][T13][S11] a removal made while the admin is offline takes effect when it reconnects; an offline member catches up by mail', async () => {
  const link1 = switchableLink()
  const link2 = switchableLink()
  const admin = await persona('Admin2', server().url, { socket: link1.socket })
  const bob = await persona('Bob2', server().url)
  const carol = await persona('Carol2', server().url, { socket: link2.socket })
  people.push(admin, bob, carol)
  for (const p of [admin, bob, carol]) p.messenger.start()
  const conv = await conversationWith(admin, [bob, carol], 'Night')
  await until(() => [admin, bob, carol].every((p) => p.messenger.members(conv).size === 3), 'everyone in')

  link1.setOnline(false)
  link2.setOnline(false)
  await carol.messenger.send(conv, 'carol wrote offline') // sealed later, under whatever epoch is current then
  await admin.messenger.removeMember(conv, bob.messenger.identity!.deviceId)
  await admin.messenger.send(conv, 'admin wrote offline after removing bob')
  await bob.messenger.send(conv, 'bob before he knows')
  link1.setOnline(true)
  await until(() => bob.messenger.accessLost(conv), 'bob cut off once the admin is back')
  link2.setOnline(true)
  await until(() => texts(carol, conv).includes('admin wrote offline after removing bob') && texts(admin, conv).includes('carol wrote offline'), 'carol and admin converge')
  expect(texts(bob, conv)).not.toContain('admin wrote offline after removing bob')
  expect(texts(bob, conv)).not.toContain('carol wrote offline')
})

test('[T8][T12][T13] a person whose answer waited while the admin, offline, removed someone is admitted when it reconnects, and reads what was written meanwhile', async () => {
  const adminLink = switchableLink()
  const admin = await persona('Admin3', server().url, { socket: adminLink.socket })
  const bob = await persona('Bob3', server().url)
  people.push(admin, bob)
  admin.messenger.start()
  bob.messenger.start()
  const conv = await conversationWith(admin, [bob], 'Late')
  const { link } = await admin.messenger.invite(conv, 'http://x')
  await until(() => admin.messenger.queuedMail === 0, 'the invitation op has left the admin')

  adminLink.setOnline(false)
  const carol = await persona('Carol3', server().url)
  people.push(carol)
  carol.messenger.start()
  await carol.messenger.join(link) // the admin is offline: it does not know carol yet
  await until(() => carol.messenger.queuedMail === 0, 'carol\'s answer waits in the admin\'s mailbox')
  // The admin, still offline, removes Bob and writes for the members it will have.
  await admin.messenger.removeMember(conv, bob.messenger.identity!.deviceId)
  await admin.messenger.send(conv, 'for carol, not bob')
  expect(carol.messenger.conversations().some((c) => c.conv === conv)).toBe(false)
  adminLink.setOnline(true)

  await until(() => carol.messenger.conversations().some((c) => c.conv === conv), 'carol is admitted once the admin is back')
  await carol.messenger.openConversation(conv)
  await until(() => texts(carol, conv).includes('for carol, not bob') && !carol.messenger.accessLost(conv), 'carol gets the key after all')
  await until(() => bob.messenger.accessLost(conv), 'bob is out')
  expect([...admin.messenger.members(conv).values()].sort()).toEqual(['Admin3', 'Carol3'])
  expect(texts(bob, conv)).not.toContain('for carol, not bob')
})
