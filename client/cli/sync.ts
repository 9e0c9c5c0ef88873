import type { Cli } from './context.js'
import { lines, result, type Result } from './output.js'
import { kindOf } from './resolve.js'
import { waitForDelivery } from './wait.js'

/**
 * Connects, delivers what is queued, handles the mailbox (an admin device admits the people
 * who answered its invitations here; everyone receives membership changes), then exits.
 * Reports the conversations this device was removed from ([T10]), and the organisations it
 * deleted its data for after it was removed from them ([M30]).
 */
export async function sync(cli: Cli): Promise<Result> {
  await cli.connect()
  await waitForDelivery(cli.messenger, cli.remaining(), { messages: true })
  const { messenger } = cli
  await messenger.wipesSettled() // [M30] a removal heard just now: report it wiped, not half done
  const team = cli.team()
  const removedFrom = messenger.conversations().filter((c) => messenger.accessLost(c.conv)).map((c) => ({ conv: c.conv, title: c.title, kind: kindOf(team, c.conv) }))
  const pendingJoins = team.pendingJoins().map((p) => ({ org: p.org, name: p.orgName }))
  const wiped = messenger.wiped().filter((t) => !t.pending).map((t) => ({ org: t.org, name: t.name, kind: t.conversation ? 'conversation' : 'org', reason: t.reason, time: t.time }))
  const human = lines([
    ...removedFrom.map((c) => [`You were removed from ${c.title}`, `(${c.kind} ${c.conv})`]),
    ...wiped.map((w) => [`This device was removed from ${w.name}; its data for it was deleted`, `(${w.kind} ${w.org}, ${w.reason})`]),
    ...pendingJoins.map((p) => [`Waiting for an admin of ${p.name} to admit this device`]),
    [`in sync (${messenger.status.pending} pending)`],
  ])
  return result(human, { ...messenger.status, removedFrom, wiped, pendingJoins })
}
