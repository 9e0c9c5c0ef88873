import { expect, test } from 'vitest'
import { parseInvitation } from '../../client/core/conversations/invite.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { useServer } from './helpers/lifecycle.js'

const env = useServer()
const server = () => env.server()
/** Personas are closed by useServer after the file's tests. */
const people: Persona[] = []
const persona = async (name: string, _url?: string, options?: Parameters<typeof env.persona>[1]) => env.persona(name, options)

test('[M21][S10][S11] an admin removes Bob: Bob is cut off and told; Carol gets the new key by mail and the others keep talking', async () => {
  const [admin, bob, carol] = await Promise.all(['Admin', 'Bob', 'Carol'].map((n) => persona(n, server().url)))
  people.push(admin!, bob!, carol!)
  for (const p of people) p.messenger.start()
  const conv = await admin!.messenger.createConversation('Crew')
  const link = admin!.messenger.inviteLink('http://x', conv)
  for (const p of [bob!, carol!]) await p.messenger.join(parseInvitation(link))
  for (const p of people) await p.messenger.openConversation(conv)
  await admin!.messenger.send(conv, 'welcome all')
  await bob!.messenger.send(conv, 'bob says hi')
  await until(() => people.every((p) => p.messenger.members(conv).size === 3 && texts(p, conv).includes('bob says hi')), 'everyone in')

  await admin!.messenger.removeMember(conv, bob!.messenger.identity!.deviceId)
  await expect(admin!.messenger.removeMember(conv, bob!.messenger.identity!.deviceId)).rejects.toMatchObject({ code: 'M504_NOT_MEMBER' })
  // What Bob wrote stays, under his name.
  expect(admin!.messenger.messages(conv).find((m) => m.text === 'bob says hi')?.authorName).toBe('Bob')
  await until(() => bob!.messenger.accessLost(conv), 'bob is told he lost access')
  await until(() => bob!.messenger.status.connection === 'online', 'bob is not left "syncing" a conversation he lost')
  await until(() => !carol!.messenger.accessLost(conv) && carol!.messenger.invitationKeys(conv).length === 2, 'carol has the new key')

  await admin!.messenger.send(conv, 'after bob left')
  await carol!.messenger.send(conv, 'carol still here')
  await until(() => texts(carol!, conv).includes('after bob left') && texts(admin!, conv).includes('carol still here'), 'admin and carol keep talking')
  expect(admin!.messenger.members(conv).has(bob!.messenger.identity!.deviceId)).toBe(false)
  await new Promise((r) => setTimeout(r, 300))
  expect(texts(bob!, conv)).not.toContain('after bob left')
  expect(texts(bob!, conv)).not.toContain('carol still here')
  expect(texts(bob!, conv)).toContain('welcome all') // what he had stays
})

test('[M21][S11] a removal made while the admin is offline takes effect when it reconnects; an offline member catches up by mail', async () => {
  const link1 = switchableLink()
  const link2 = switchableLink()
  const admin = await persona('Admin2', server().url, { socket: link1.socket })
  const bob = await persona('Bob2', server().url)
  const carol = await persona('Carol2', server().url, { socket: link2.socket })
  people.push(admin, bob, carol)
  for (const p of [admin, bob, carol]) p.messenger.start()
  const conv = await admin.messenger.createConversation('Night')
  const link = admin.messenger.inviteLink('http://x', conv)
  for (const p of [bob, carol]) await p.messenger.join(parseInvitation(link))
  for (const p of [admin, bob, carol]) await p.messenger.openConversation(conv)
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

test('[M21] a member the admin had not seen yet when it removed someone still gets the new key once its entry arrives', async () => {
  const adminLink = switchableLink()
  const admin = await persona('Admin3', server().url, { socket: adminLink.socket })
  const bob = await persona('Bob3', server().url)
  people.push(admin, bob)
  admin.messenger.start()
  bob.messenger.start()
  const conv = await admin.messenger.createConversation('Late')
  const link = admin.messenger.inviteLink('http://x', conv)
  await bob.messenger.join(parseInvitation(link))
  await until(() => admin.messenger.members(conv).size === 2, 'admin sees bob')

  adminLink.setOnline(false)
  const carol = await persona('Carol3', server().url)
  people.push(carol)
  carol.messenger.start()
  await carol.messenger.join(parseInvitation(link)) // the admin is offline: it does not know carol yet
  await carol.messenger.openConversation(conv)
  await bob.messenger.openConversation(conv)
  // Carol's entry is on the server (Bob sees her) before the admin, still offline, removes Bob.
  await until(() => bob.messenger.members(conv).size === 3, 'carol\'s entry reached the server')
  await admin.messenger.removeMember(conv, bob.messenger.identity!.deviceId)
  await admin.messenger.openConversation(conv)
  await admin.messenger.send(conv, 'for carol, not bob')
  adminLink.setOnline(true)

  await until(() => texts(carol, conv).includes('for carol, not bob') && !carol.messenger.accessLost(conv), 'carol gets the key after all')
  await until(() => bob.messenger.accessLost(conv), 'bob is out')
  expect(texts(bob, conv)).not.toContain('for carol, not bob')
})
