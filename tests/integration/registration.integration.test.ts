import { expect, test } from 'vitest'
import { texts, until } from './helpers/clients.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { useServer } from './helpers/lifecycle.js'

const env = useServer()

test('[S3][K6] a person who answers the invitation before the creator\'s device ever connected waits quietly, is admitted once it connects, then syncs; the creator can still remove them', async () => {
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
  await bob.messenger.join((await admin.messenger.invite(conv, 'http://x')).link)
  await until(() => bob.messenger.status.connection === 'online' && bob.messenger.queuedMail === 0, 'bob\'s answer is on the server')
  await new Promise((r) => setTimeout(r, 1500))
  // His answer waits in the founder's mailbox: nothing is shown as an error, nothing is listed yet.
  expect(bob.messenger.conversations().some((c) => c.conv === conv)).toBe(false)
  expect(bob.messenger.accessLost(conv)).toBe(false)
  expect(problems).toEqual([])

  // The founder connects: it registers the conversation ([S3]), reads the answer and admits Bob.
  adminLink.setOnline(true)
  await until(() => bob.messenger.conversations().some((c) => c.conv === conv && c.members === 2), 'bob is admitted once the founder connects')
  await bob.messenger.openConversation(conv)
  await admin.messenger.openConversation(conv)
  await bob.messenger.send(conv, 'bob was here first')
  await until(() => texts(admin, conv).includes('bob was here first'), 'the founder reads what bob wrote')
  await carol.messenger.join((await admin.messenger.invite(conv, 'http://x')).link)
  await until(() => carol.messenger.conversations().some((c) => c.conv === conv), 'carol is admitted')
  await carol.messenger.openConversation(conv)
  await until(() => admin.messenger.members(conv).size === 3, 'carol is in')
  await until(() => texts(carol, conv).includes('bob was here first'), 'carol reads the history')

  // The conversation was registered by its creator with the admin key: removing Bob rotates it.
  await admin.messenger.removeMember(conv, bob.messenger.identity!.deviceId)
  await until(() => bob.messenger.accessLost(conv), 'bob is cut off')
  await admin.messenger.send(conv, 'after bob')
  await until(() => texts(carol, conv).includes('after bob'), 'carol reads on')
  expect(texts(bob, conv)).not.toContain('after bob')
  expect(problems).toEqual([])
})
