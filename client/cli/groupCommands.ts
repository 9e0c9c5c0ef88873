import { arg, need, type Cli, type Command } from './context.js'
import { CliError, CliErrorCode, usageError } from './errors.js'
import { lines, result } from './output.js'
import { resolveGroup, resolveOrg, resolveUser, type GroupRef } from './resolve.js'

/** `group …`: groups of an organisation, their members and admins ([T6]–[T8], [T13]). */
export const groupCommands: Record<string, Command> = {
  async create(cli, args) {
    const name = args.slice(1).join(' ').trim()
    if (!name) throw usageError('missing NAME: group create ORG NAME')
    const [orgArg] = need(args, 'ORG')
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    const history = !cli.options.noHistory
    const group = await cli.team().createGroup(org, name, { history })
    await cli.delivered()
    return result(group, { group, org, name: cli.messenger.titleOf(group), history })
  },

  async list(cli, args) {
    const { org } = resolveOrg(cli.team(), arg(args, 0, 'ORG'))
    const groups = cli.team().groups(org).map((g) => ({ group: g.group, name: g.name, member: g.member, members: g.members.length, history: g.history }))
    const human = lines(groups.map((g) => [g.group, g.name, `${g.members} members`, g.member ? '(member)' : '', g.history ? '' : '(no history for new members)']))
    return result(human || 'no groups', { org, groups })
  },

  async add(cli, args) {
    const inputs = args.slice(1)
    if (!inputs.length) throw usageError('missing USER: group add GROUP USER...')
    const [groupArg] = need(args, 'GROUP')
    await cli.connect()
    const g = resolveGroup(cli.team(), groupArg)
    const users = inputs.map((u) => resolveUser(cli.team(), g.org, u))
    await cli.team().addToGroup(g.group, users.map((u) => u.user))
    await cli.delivered()
    return result(`added ${users.map((u) => u.name).join(', ')} to ${g.summary.name}; key rotated`, { group: g.group, added: users.map((u) => ({ user: u.user, name: u.name })) })
  },

  async remove(cli, args) {
    const [groupArg, userArg] = need(args, 'GROUP', 'USER')
    await cli.connect()
    const g = resolveGroup(cli.team(), groupArg)
    const user = resolveUser(cli.team(), g.org, userArg)
    await cli.team().removeFromGroup(g.group, user.user)
    await cli.delivered()
    return result(`removed ${user.name} from ${g.summary.name}; key rotated`, { group: g.group, removed: user.user, name: user.name })
  },

  async rename(cli, args) {
    const name = args.slice(1).join(' ').trim()
    if (!name) throw usageError('missing NAME: group rename GROUP NAME')
    const [groupArg] = need(args, 'GROUP')
    await cli.connect()
    const g = resolveGroup(cli.team(), groupArg)
    await cli.team().renameGroup(g.group, name)
    await cli.delivered()
    const now = cli.team().groups(g.org).find((x) => x.group === g.group)?.name ?? name
    return result(`${g.summary.name} is now ${now}`, { group: g.group, name: now })
  },

  async history(cli, args) {
    const [groupArg, setting] = need(args, 'GROUP', 'on|off')
    if (setting !== 'on' && setting !== 'off') throw usageError(`expected on or off, got ${setting}: group history GROUP on|off`)
    await cli.connect()
    const g = resolveGroup(cli.team(), groupArg)
    const history = setting === 'on'
    await cli.team().setHistory(g.group, history)
    await cli.delivered()
    return result(`new members of ${g.summary.name} ${history ? 'read its history' : 'read only what is written after they join'}`, { group: g.group, history })
  },

  promote: (cli, args) => setAdmin(cli, args, true),
  demote: (cli, args) => setAdmin(cli, args, false),

  async members(cli, args) {
    const g = resolveGroup(cli.team(), arg(args, 0, 'GROUP'))
    const me = cli.team().directory(g.org).find((e) => e.me)?.user
    const members = g.summary.members.map((m) => ({ ...m, me: m.user === me }))
    const human = lines(members.map((m) => [m.user, m.name, m.admin ? '(admin)' : '', m.me ? '(you)' : '']))
    return result(human || 'no members', { group: g.group, name: g.summary.name, member: g.summary.member, members })
  },
}

async function setAdmin(cli: Cli, args: readonly string[], admin: boolean) {
  const [groupArg, userArg] = need(args, 'GROUP', 'USER')
  await cli.connect()
  const g: GroupRef = resolveGroup(cli.team(), groupArg)
  const user = resolveUser(cli.team(), g.org, userArg)
  if (!g.summary.members.some((m) => m.user === user.user)) throw new CliError(CliErrorCode.UNKNOWN_USER, `${user.name} is not a member of ${g.summary.name}; \`group add\` first`)
  await cli.team().setGroupAdmin(g.group, user.user, admin)
  await cli.delivered()
  return result(`${user.name} is ${admin ? 'now' : 'no longer'} an admin of ${g.summary.name}`, { group: g.group, user: user.user, name: user.name, admin })
}
