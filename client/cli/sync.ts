import type { Cli } from './context.js'
import { lines, result, type Result } from './output.js'
import { kindOf } from './resolve.js'
import { waitForDelivery } from './wait.js'

/**
 * Connects, delivers what is queued, handles the mailbox (an admin device admits the people
 * who answered its invitations here; everyone receives membership changes), then exits.
 * Reports the conversations this device was removed from ([T10]).
 */
export async function sync(cli: Cli): Promise<Result> {
  await cli.connect()
  await waitForDelivery(cli.messenger, cli.remaining(), { messages: true })
  const { messenger } = cli
  const team = cli.team()
  const removedFrom = messenger.conversations().filter((c) => messenger.accessLost(c.conv)).map((c) => ({ conv: c.conv, title: c.title, kind: kindOf(team, c.conv) }))
  const pendingJoins = team.pendingJoins().map((p) => ({ org: p.org, name: p.orgName }))
  const human = lines([
    ...removedFrom.map((c) => [`You were removed from ${c.title}`, `(${c.kind} ${c.conv})`]),
    ...pendingJoins.map((p) => [`Waiting for an admin of ${p.name} to admit this device`]),
    [`in sync (${messenger.status.pending} pending)`],
  ])
  return result(human, { ...messenger.status, removedFrom, pendingJoins })
}
