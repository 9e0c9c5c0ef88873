import type { ConvId } from '../../../protocol/index.js'
import { until, type Persona } from './clients.js'

/** The user id of `p`'s person in an organisation, as its own directory shows it. */
export const userOf = (p: Persona, org: ConvId): string => p.messenger.team.directory(org).find((e) => e.me)!.user

/** An organisation founded by `admin`, everyone else enrolled by one-time invitation. */
export async function enrol(admin: Persona, others: readonly Persona[], name: string): Promise<ConvId> {
  const org = await admin.messenger.team.createOrg(name)
  for (const p of others) await p.messenger.team.acceptInvite((await admin.messenger.team.invite(org, 'http://x')).link)
  await until(() => [admin, ...others].every((p) => p.messenger.team.directory(org).length === others.length + 1), 'everyone enrolled')
  return org
}

/** A group made by `admin` with `members` added; open on every device of the group. */
export async function groupWith(admin: Persona, org: ConvId, name: string, members: readonly Persona[]): Promise<ConvId> {
  const group = await admin.messenger.team.createGroup(org, name)
  await admin.messenger.team.addToGroup(group, members.map((p) => userOf(p, org)))
  await until(() => members.every((p) => p.messenger.conversations().some((c) => c.conv === group)), `group ${name} on every member`)
  for (const p of [admin, ...members]) await p.messenger.openConversation(group)
  return group
}
