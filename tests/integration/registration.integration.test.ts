import { expect, test } from 'vitest'
import { parseInvitation } from '../../client/core/conversations/invite.js'
import { texts, until } from './helpers/clients.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { useServer } from './helpers/lifecycle.js'

const env = useServer()

test('[S3][K6] a member who joins before the creator\'s device ever connected waits quietly, then syncs; the creator can still remove them', async () => {
  const adminLink = switchableLink()
  adminLink.setOnline(false)
  const admin = await env.persona('Founder', { socket: adminLink.socket })
  const bob = await env.persona('Early Bob')
  const carol = await env.persona('Carol')
  const problems: string[] = []
  bob.messenger.events.on('problem', (p) => problems.push(p.code))
  for (const p of [admin, bob, carol]) p.messenger.start()
  // Created offline: the invitation travels before the server has ever heard of the conversation.
  const conv = await admin.messenger.createConversation('Night shift')
  const link = admin.messenger.inviteLink('http://x', conv)
  await bob.messenger.join(parseInvitation(link))
  await bob.messenger.openConversation(conv)
  await bob.messenger.send(conv, 'bob was here first')
  await until(() => bob.messenger.status.connection === 'online', 'bob is online')
  await new Promise((r) => setTimeout(r, 1500)) // at least one refused join and one retry
  expect(bob.messenger.accessLost(conv)).toBe(false)
  expect(problems).toEqual([])
  expect(bob.messenger.status.pending).toBeGreaterThan(0) // his message waits in the outbox

  adminLink.setOnline(true)
  await admin.messenger.openConversation(conv)
  await until(() => texts(admin, conv).includes('bob was here first'), 'the founder reads what bob wrote before it connected')
  await carol.messenger.join(parseInvitation(link))
  await carol.messenger.openConversation(conv)
  await until(() => admin.messenger.members(conv).size === 3, 'carol is in')

  // The conversation was registered by its creator with the admin key: removing Bob rotates it.
  await admin.messenger.removeMember(conv, bob.messenger.identity!.deviceId)
  await until(() => bob.messenger.accessLost(conv), 'bob is cut off')
  await admin.messenger.send(conv, 'after bob')
  await until(() => texts(carol, conv).includes('after bob'), 'carol reads on')
  expect(texts(bob, conv)).not.toContain('after bob')
  expect(problems).toEqual([])
})
