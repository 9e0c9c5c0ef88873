import { arg, type Cli } from './context.js'
import { usageError } from './errors.js'
import { lines, result } from './output.js'
import { resolveOrg } from './resolve.js'
import type { UsageReport } from '../core/stats/stats.js'
import { APP_VERSION } from '../core/version.js'

/** [Q7] What this CLI tells the collector about itself (device management). */
export const CLI_APP = { version: APP_VERSION, platform: `cli/${process.platform}` }

const human = (r: UsageReport) =>
  [
    `usage of ${r.org} from ${r.from} to ${r.to} (released up to ${r.lastClosedDay}; noise ε = ${r.privacy.epsilonPerMetricDay} per metric and day)`,
    lines([['day', 'active', 'messages', 'files', 'MiB', 'calls', 'call min'], ...r.days.map((d) => [d.day, ...[d.values.active, d.values.messages, d.values.files, d.values.fileMb, d.values.calls, d.values.callMinutes].map(String)])]),
    `people active by week: ${r.weeks.map((w) => `${w.start} ${w.values.active}`).join(', ') || 'none released'}; by month: ${r.months.map((m) => `${m.start} ${m.values.active}`).join(', ') || 'none released'}`,
    `devices in contact by week: ${(r.devicesInContactByWeek ?? []).map((w) => `${w.start} ${w.devices}`).join(', ') || 'none released'}; by month: ${(r.devicesInContactByMonth ?? []).map((m) => `${m.start} ${m.devices}`).join(', ') || 'none released'}`,
    `files stored: ${r.storage ? `${r.storage.bytes} of ${r.storage.quotaBytes} bytes on ${r.storage.asOf}${r.storage.pending ? ` (${r.storage.pending} still uploading)` : ''}` : 'not known offline'}`,
    `devices: ${r.devices.length} (${r.devices.filter((d) => d.daysSilent >= 7).length} silent for 7 days or more)`,
    `versions: ${r.versions.map((v) => `${v.name} ${v.devices}`).join(', ') || 'none yet'}`,
    `platforms: ${r.platforms.map((v) => `${v.name} ${v.devices}`).join(', ') || 'none yet'}`,
    `groups: ${r.groups.count} (${r.groups.sizes.map((s) => `${s.bucket}: ${s.groups}`).join(', ')})`,
    ...r.groupActivity.map((g) => `group ${g.name} (${g.people} people): ${g.messages} messages in the period`),
    `invitations: ${r.invitations.made} made, ${r.invitations.accepted} accepted, ${r.invitations.open} open, ${r.invitations.expired} expired`,
  ].join('\n')

/**
 * `org stats ORG [on|off] [--from DAY] [--to DAY]` ([Q3], [Q7]): an admin turns the
 * organisation's usage statistics on (this device collects) or off; on the collecting device it
 * prints the released usage (the last 28 days by default); elsewhere it says where they are.
 */
export async function statsCommand(cli: Cli, args: readonly string[]) {
  const orgArg = arg(args, 0, 'ORG')
  const switchTo = args[1]
  if (switchTo !== undefined && switchTo !== 'on' && switchTo !== 'off') throw usageError(`org stats ORG [on|off], not ${switchTo}`)
  if (args.length > 2) throw usageError('org stats ORG [on|off] [--from DAY] [--to DAY]')
  await cli.connect()
  const { org } = resolveOrg(cli.team(), orgArg)
  const stats = cli.messenger.stats
  if (switchTo) {
    if (switchTo === 'on') await stats.enable(org)
    else await stats.disable(org)
    await cli.delivered()
    const status = stats.status(org)
    return result(status.on ? `usage statistics on in ${org}: this device collects them` : `usage statistics off in ${org}`, { org, ...status })
  }
  await stats.tick()
  const report = await stats.report(org, { ...(cli.options.from ? { from: cli.options.from } : {}), ...(cli.options.to ? { to: cli.options.to } : {}) })
  return result(human(report), report)
}
