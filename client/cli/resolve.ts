import { normaliseName } from '../core/identity.js'
import type { DirectoryEntry, GroupSummary, Team } from '../core/team/team.js'
import type { ConvId } from '../../protocol/index.js'
import { CliError, CliErrorCode, type CliErrorCode as Code } from './errors.js'

/**
 * Organisations, groups and people are named on the command line by id or by exact display
 * name. An id always wins; a name must match exactly one (else C203 lists the candidates, so a
 * script can retry with the id).
 */
function pick<T>(items: readonly T[], input: string, idOf: (t: T) => string, nameOf: (t: T) => string, what: string, unknown: Code, hint: string): T {
  const byId = items.find((t) => idOf(t) === input)
  if (byId) return byId
  const wanted = normaliseName(input)
  const named = items.filter((t) => nameOf(t) === wanted)
  if (named.length === 1) return named[0]!
  if (named.length > 1) {
    const candidates = named.map((t) => ({ id: idOf(t), name: nameOf(t) }))
    const list = candidates.map((c) => `${c.name} (${c.id})`).join(', ')
    throw new CliError(CliErrorCode.AMBIGUOUS_NAME, `${named.length} ${what === 'person' ? 'people' : `${what}s`} are called "${wanted}": ${list}; give the id instead`, { candidates })
  }
  const near = items.filter((t) => nameOf(t).toLowerCase() === wanted.toLowerCase()).map(nameOf)
  throw new CliError(unknown, `no ${what} "${input}"${near.length ? ` (did you mean "${near[0]}"?)` : ''}; ${hint}`)
}

export interface OrgRef { readonly org: ConvId; readonly name: string; readonly admin: boolean }

export function resolveOrg(team: Team, input: string): OrgRef {
  const orgs = team.orgs()
  const known = orgs.find((o) => o.org === input)
  if (known) return known
  if (team.isSpace(input as ConvId) && team.orgOf(input as ConvId) === input) {
    throw new CliError(CliErrorCode.UNKNOWN_ORG, `this device is no longer a member of organisation ${input} (removed)`)
  }
  return pick(orgs, input, (o) => o.org, (o) => o.name, 'organisation', CliErrorCode.UNKNOWN_ORG, '`org list` shows the organisations on this device')
}

export interface GroupRef { readonly group: ConvId; readonly org: ConvId; readonly summary: GroupSummary }

/** Groups of every organisation this device is in (all of them for an organisation admin). */
export function resolveGroup(team: Team, input: string): GroupRef {
  const all = team.orgs().flatMap(({ org }) => team.groups(org).map((summary) => ({ group: summary.group, org, summary })))
  const byId = all.find((g) => g.group === input)
  if (byId) return byId
  // A group this device was removed from (or whose organisation it left) still reads as such.
  const group = input as ConvId
  if (team.group(group)) {
    const org = team.orgOf(group)!
    const summary = team.groups(org).find((g) => g.group === group)
    if (summary) return { group, org, summary }
  }
  return pick(all, input, (g) => g.group, (g) => g.summary.name, 'group', CliErrorCode.UNKNOWN_GROUP, '`group list ORG` shows the groups of an organisation')
}

/** A person of the organisation's directory, by user id or exact display name. */
export function resolveUser(team: Team, org: ConvId, input: string): DirectoryEntry {
  return pick(team.directory(org), input, (e) => e.user, (e) => e.name, 'person', CliErrorCode.UNKNOWN_USER, '`org members ORG` lists user ids and names')
}

/** What a conversation on this device is: an organisation's, a group's, or one outside any organisation. */
export function kindOf(team: Team, conv: ConvId): 'org' | 'group' | 'conversation' {
  return team.isConversation(conv) ? 'conversation' : team.orgOf(conv) === conv ? 'org' : 'group'
}
