import type { EpochKey } from '../../../crypto/index.js'
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

/**
 * A conversation started by `admin` (a one-space organisation, [T2]) with `others` admitted by
 * one-time invitation each; open on every device once everyone is in.
 */
export async function conversationWith(admin: Persona, others: readonly Persona[], title: string): Promise<ConvId> {
  const conv = await admin.messenger.createConversation(title)
  for (const p of others) await p.messenger.join((await admin.messenger.invite(conv, 'http://x')).link)
  await until(() => [admin, ...others].every((p) => p.messenger.conversations().some((c) => c.conv === conv && c.members === others.length + 1)), `${title} on every device`)
  for (const p of [admin, ...others]) await p.messenger.openConversation(conv)
  return conv
}

/**
 * A modified client: takes an epoch key it got outside the graph (leaked to it by someone) into
 * its record, as the removed `addEpochKey` did; `current` makes it the epoch to write under and
 * joins the server with the capability derived from it.
 */
export async function addKeyByHand(p: Persona, conv: ConvId, epoch: number, key: Uint8Array, current: boolean): Promise<void> {
  const { registry, engine } = p.messenger.team.core.deps
  await registry.update(conv, (r) => ({ ...r, keys: new Map([...r.keys, [epoch, key as EpochKey]]), epoch: current ? epoch : r.epoch }))
  if (current) await engine.rejoin(conv)
  await engine.retryKeys(conv)
}
