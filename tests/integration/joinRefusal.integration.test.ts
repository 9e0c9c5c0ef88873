import { expect, test } from 'vitest'
import { deriveMailboxKey } from '../../crypto/index.js'
import { parseOrgInvitation, sealJoinRefusal } from '../../client/core/team/orgInvite.js'
import { until } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith } from './helpers/team.js'

/**
 * [T12] An answer the inviting device refuses is answered: the invitee stops waiting and is told
 * why. Only the device the link names can say so, and only about the invitation answered.
 */
const env = useServer()

test('[T12] a second person answering a used one-time link is told "already used" and stops waiting; the admin sees M505', async () => {
  const [admin, bob, carol] = await Promise.all(['Admin', 'Bob', 'Carol'].map((n) => env.persona(n)))
  for (const p of [admin!, bob!, carol!]) p.messenger.start()
  const conv = await admin!.messenger.createConversation('Night shift')
  const { link } = await admin!.messenger.invite(conv, 'http://x')
  await bob!.messenger.join(link)
  await until(() => bob!.messenger.conversations().some((c) => c.conv === conv), 'bob admitted')

  await carol!.messenger.join(link)
  expect(carol!.messenger.team.pendingJoins()).toEqual([{ org: conv, orgName: 'Night shift', device: false, conversation: true }])
  await until(() => carol!.messenger.team.pendingJoins().length === 0, 'carol is told')
  await until(() => carol!.problems.some((p) => p.startsWith('M505_INVITE_REFUSED') && p.includes('Night shift: invitation already used')), 'carol sees why')
  expect(admin!.problems.some((p) => p.startsWith('M505_INVITE_REFUSED') && p.includes('already used'))).toBe(true)
  expect(carol!.messenger.conversations()).toEqual([])
  expect(admin!.messenger.members(conv).size).toBe(2)
})

test('[T12] a refusal forged by another device (a member who knows the invitation) is ignored; cancelJoin stops waiting', async () => {
  const [admin, mallory, dan] = await Promise.all(['Admin', 'Mallory', 'Dan'].map((n) => env.persona(n)))
  for (const p of [admin!, mallory!, dan!]) p.messenger.start()
  const conv = await conversationWith(admin!, [mallory!], 'Depot')
  const invited = await admin!.messenger.invite(conv, 'http://x')
  // Dan answers while the admin is offline, so his answer waits.
  await admin!.messenger.stop()
  await dan!.messenger.join(invited.link)
  const danKeys = dan!.messenger.identity!.keys
  const danMailbox = deriveMailboxKey(danKeys.signSecret).address
  // Mallory (she sees the invite op in the graph) seals a refusal to Dan with her own device key.
  const request = { org: conv, invite: parseOrgInvitation(invited.link).invite, user: 'u', name: 'Dan', device: danKeys.signPublic, box: danKeys.boxPublic, mailbox: danMailbox, signedBy: '' }
  const forged = await sealJoinRefusal(request, 'invitation revoked', mallory!.messenger.identity!.keys)
  await mallory!.messenger.team.core.deps.mailOut.add([{ to: [danMailbox], body: forged }])
  await mallory!.messenger.team.core.deps.engine.flushMail()
  await until(() => mallory!.messenger.queuedMail === 0, 'the forgery is posted')
  await new Promise((r) => setTimeout(r, 1000))
  expect(dan!.messenger.team.pendingJoins()).toHaveLength(1)
  expect(dan!.problems.filter((p) => p.startsWith('M505'))).toEqual([])

  await dan!.messenger.team.cancelJoin(conv)
  expect(dan!.messenger.team.pendingJoins()).toEqual([])
})
