import { INVITE_TTL_MS } from '../core/team/team.js'
import { parseDeviceId } from '../../protocol/index.js'
import { parseOrgInvitation } from '../core/team/orgInvite.js'
import { arg, need, type Cli, type Command } from './context.js'
import { CliError, CliErrorCode, usageError } from './errors.js'
import { count, iso, lines, result } from './output.js'
import { resolveOrg, resolveUser } from './resolve.js'
import { waitUntil } from './wait.js'
import { sync } from './sync.js'
import { policy } from './policyCommand.js'
import { statsCommand } from './statsCommand.js'

/** `org …`: an organisation's directory, invitations and admins ([T12], [T13], [V1]). */
export const orgCommands: Record<string, Command> = {
  async create(cli, args) {
    const name = args.join(' ').trim()
    if (!name) throw usageError('missing NAME: org create NAME')
    await cli.connect()
    const org = await cli.team().createOrg(name)
    await cli.delivered()
    return result(org, { org, name: cli.team().orgs().find((o) => o.org === org)?.name ?? name, admin: true })
  },

  async list(cli) {
    const team = cli.team()
    const orgs = team.orgs().filter((o) => !o.conversation).map(({ org, name, admin }) => ({ org, name, admin }))
    const pending = team.pendingJoins().map((p) => ({ org: p.org, name: p.orgName }))
    const removed = cli.messenger.conversations().filter((c) => team.orgOf(c.conv) === c.conv && cli.messenger.accessLost(c.conv)).map((c) => ({ org: c.conv, name: c.title }))
    // [M30] Organisations this device deleted its data for after it was removed from them.
    const wiped = cli.messenger.wiped().filter((t) => !t.conversation).map((t) => ({ org: t.org, name: t.name, reason: t.reason }))
    const human = lines([
      ...orgs.map((o) => [o.org, o.name, o.admin ? '(admin)' : '']),
      ...pending.map((p) => [p.org, p.name, '(pending: waiting for an admin to admit this device)']),
      ...removed.map((r) => [r.org, r.name, '(removed)']),
      ...wiped.map((w) => [w.org, w.name, '(removed: its data on this device was deleted)']),
    ])
    return result(human || 'no organisations on this device', { orgs, pending, removed, wiped })
  },

  async invite(cli, args) {
    const ttlMs = hours(cli.options.ttl, INVITE_TTL_MS)
    const [orgArg] = need(args, 'ORG')
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    const inv = await cli.team().invite(org, cli.options.origin, ttlMs)
    await cli.delivered()
    return result(`${inv.link}\ninvite ${inv.invite}, valid until ${iso(inv.expires)}`, { org, link: inv.link, invite: inv.invite, expires: inv.expires, expiresAt: iso(inv.expires) })
  },

  /** [T17] A one-time link to add another device of this person; answered with `org accept` there. */
  async 'link-device'(cli, args) {
    const ttlMs = hours(cli.options.ttl, 24 * 3600_000)
    const [orgArg] = need(args, 'ORG')
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    const inv = await cli.team().linkDevice(org, cli.options.origin, ttlMs)
    await cli.delivered()
    return result(`${inv.link}
open it on the new device (or: org accept LINK there); valid until ${iso(inv.expires)}`, { org, link: inv.link, invite: inv.invite, expires: inv.expires, expiresAt: iso(inv.expires) })
  },

  /** Devices of a person (default: this device's person), with ids for `org remove-device`. */
  async devices(cli, args) {
    const { org } = resolveOrg(cli.team(), arg(args, 0, 'ORG'))
    const entry = args[1] ? resolveUser(cli.team(), org, args[1]) : cli.team().directory(org).find((e) => e.me)
    if (!entry) throw new CliError(CliErrorCode.UNKNOWN_USER, 'this device is not in that organisation')
    const person = cli.team().directory(org).find((e) => e.user === entry.user)!
    const devices = cli.team().devicesOf(org, person.user)
    return result(lines(devices.map((d) => [d.device, d.me ? '(this device)' : ''])), { org, user: person.user, name: person.name, devices })
  },

  /** [T17] Removes a device (a lost phone): its person or an admin; keys rotate without it. */
  async 'remove-device'(cli, args) {
    const [orgArg, input] = need(args, 'ORG', 'DEVICE')
    const device = parseDeviceId(input)
    if (!device) throw usageError(`not a device id: ${input} (\`org devices ORG USER\` lists them)`)
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    await cli.team().removeDevice(org, device)
    await cli.delivered()
    return result(`removed device ${device}; keys rotate without it`, { org, removed: device })
  },

  async invites(cli, args) {
    const { org } = resolveOrg(cli.team(), arg(args, 0, 'ORG'))
    const invites = cli.team().invites(org).map((i) => ({ ...i, expiresAt: iso(i.expires) }))
    return result(lines(invites.map((i) => [i.invite, `valid until ${i.expiresAt}`])) || 'no open invitations', { org, invites })
  },

  async revoke(cli, args) {
    const [orgArg, input] = need(args, 'ORG', 'INVITE')
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    if (!cli.team().invites(org).some((i) => i.invite === input)) {
      throw new CliError(CliErrorCode.UNKNOWN_INVITE, `no open invitation ${input} (used, expired, revoked or never made); \`org invites ORG\` lists the open ones`)
    }
    await cli.team().revokeInvite(org, input)
    await cli.delivered()
    return result(`revoked invitation ${input}`, { org, revoked: input })
  },

  accept,

  async members(cli, args) {
    const { org, name } = resolveOrg(cli.team(), arg(args, 0, 'ORG'))
    const members = cli.team().directory(org).map((e) => ({ user: e.user, name: e.name, admin: e.admin, devices: e.devices.length, me: e.me, verified: e.verified }))
    const marks = { verified: '(verified)', changed: '(DEVICES CHANGED since you verified)', unverified: '' }
    const human = lines(members.map((m) => [m.user, m.name, m.admin ? '(admin)' : '', count(m.devices, 'device'), m.me ? '(you)' : marks[m.verified]]))
    return result(human, { org, name, members })
  },

  promote: (cli, args) => setAdmin(cli, args, true),
  demote: (cli, args) => setAdmin(cli, args, false),

  async remove(cli, args) {
    const [orgArg, userArg] = need(args, 'ORG', 'USER')
    await cli.connect()
    const { org, name } = resolveOrg(cli.team(), orgArg)
    const user = resolveUser(cli.team(), org, userArg)
    await cli.team().removeFromOrg(org, user.user)
    await cli.delivered()
    return result(`removed ${user.name} from ${name} and every group of it; keys rotated`, { org, removed: user.user, name: user.name })
  },

  async verify(cli, args) {
    const [orgArg, userArg] = need(args, 'ORG', 'USER')
    const { org } = resolveOrg(cli.team(), orgArg)
    const user = resolveUser(cli.team(), org, userArg)
    const v = cli.team().verification(org, user.user)
    if (!v) throw new CliError(CliErrorCode.UNKNOWN_USER, `cannot verify ${user.name}: this device is not in the directory of ${org}`)
    const who = { org, user: user.user, name: user.name }
    if (cli.options.code === undefined) {
      return result(`safety number with ${user.name}: ${v.safetyNumber}\nyour code (for ${user.name} to check): ${v.myCodeText}`, { ...who, safetyNumber: v.safetyNumber, myCode: v.myCodeText })
    }
    const verdict = v.check(cli.options.code)
    // [V2] A matching code marks them verified on this device (`org members` shows it).
    if (verdict === 'match') await cli.team().setVerified(org, user.user, true)
    const human = { match: `match: this is ${user.name}'s code`, mismatch: `MISMATCH: this is not the code of ${user.name}'s devices as the directory states them`, malformed: 'malformed: not a verification code (copy all of it)' }[verdict]
    return result(human, { ...who, verdict }, verdict === 'match' ? 0 : 1)
  },

  policy,

  stats: statsCommand,

  /** The same as `sync`: handles join requests (admins) and membership bundles. */
  sync,
}

/**
 * [T12] The invitee: answers the invitation (once; running it again only waits), then waits
 * until an admin device admits this device. Pending is an answer, not an error.
 */
export async function accept(cli: Cli, args: readonly string[]) {
  const link = arg(args, 0, 'LINK')
  const inv = parseOrgInvitation(link) // M100 before anything else happens
  await cli.connect()
  const team = cli.team()
  await team.acceptInvite(link)
  await cli.delivered()
  const admitted = () => team.orgs().some((o) => o.org === inv.org)
  // A conversation's answer names it `conv` as every conversation command does.
  const ids = (org: string) => (inv.conversation ? { conv: org, org } : { org })
  if (!(await waitUntil(admitted, cli.remaining()))) {
    return result(`asked to join ${inv.name}: pending until an admin device admits this one (run \`join\` or \`sync\` again later)`, { status: 'pending', ...ids(inv.org), name: inv.name })
  }
  // The conversation is joined in the background; best effort before exiting.
  await cli.delivered().catch(() => undefined)
  const org = team.orgs().find((o) => o.org === inv.org)!
  return result(`admitted to ${org.name} (${org.org})`, { status: 'admitted', ...ids(org.org), name: org.name, admin: org.admin })
}

async function setAdmin(cli: Cli, args: readonly string[], admin: boolean) {
  const [orgArg, userArg] = need(args, 'ORG', 'USER')
  await cli.connect()
  const { org, name } = resolveOrg(cli.team(), orgArg)
  const user = resolveUser(cli.team(), org, userArg)
  await (admin ? cli.team().promote(org, user.user) : cli.team().demote(org, user.user))
  await cli.delivered()
  return result(`${user.name} is ${admin ? 'now' : 'no longer'} an admin of ${name}`, { org, user: user.user, name: user.name, admin })
}

/** --ttl in hours (fractions allowed), as milliseconds. */
export function hours(value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs
  const h = Number(value)
  if (!Number.isFinite(h) || h <= 0) throw usageError(`--ttl takes a positive number of hours, not ${value}`)
  return h * 3600_000
}
