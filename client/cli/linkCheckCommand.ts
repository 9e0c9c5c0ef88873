import { blockedDomainsOfAll, checkLink, type LinkVerdict } from '../core/links/index.js'
import type { Team } from '../core/team/team.js'
import { arg } from './context.js'
import { usageError } from './errors.js'
import { result, type Result } from './output.js'

/** What `check-link` reads of this device: the organisations it is in, for their blocklists. */
export interface LinkCheckDevice {
  readonly identity: unknown
  readonly team: Pick<Team, 'orgs' | 'policy'>
}

/**
 * `check-link URL [--text SHOWN]` ([U1]–[U9]): the verdict on one link, checked on this device
 * from its text alone ([U10]: nothing is contacted; main.ts opens the store for the
 * organisations' blocklists and never starts the connection). A device in several organisations
 * checks against all their lists. Exit 0 when the link is ok, 1 otherwise (warn, block, not a
 * link), so a script can stop on anything but ok.
 */
export function checkLinkCommand(device: LinkCheckDevice, args: readonly string[], shownText: string | undefined): Result {
  const url = arg(args, 0, 'URL')
  if (args.length > 1) throw usageError('check-link takes one URL (quote it; --text SHOWN for the text a message shows for it)')
  const blockedDomains = device.identity ? blockedDomainsOfAll(device.team.orgs().map((o) => device.team.policy(o.org))) : []
  const verdict = checkLink(url, { blockedDomains, ...(shownText !== undefined ? { shownText } : {}) })
  if (!verdict) return result(`not a link: ${url} (only http, https and mailto links open from messages)`, { url, link: false }, 1)
  return result(describe(url, verdict), { url, link: true, ...verdict }, verdict.level === 'ok' ? undefined : 1)
}

function describe(url: string, v: LinkVerdict): string {
  const where = v.host ? ` goes to ${v.displayHost}${v.displayHost !== v.host ? ` (${v.host})` : ''}` : ''
  return [`${v.level}: ${url}${where}`, ...v.reasons.map((r) => `  ${r.code}  ${r.text}`)].join('\n')
}
