import { blockedEntry } from './blocklist.js'
import { dangerousExtension } from './downloads.js'
import { bareHost, displayHostOf, hostReasons, registrableDomain } from './host.js'
import { LINK_LIMITS } from './limits.js'
import { findLinks, urlOfMatch } from './linkify.js'
import { parseLinkTarget, writtenHost, type LinkTarget, type MailDomain } from './target.js'
import { LinkReasonCode, levelOf, levelOfAll, type LinkReason, type LinkVerdict } from './verdict.js'

export interface LinkCheckOptions {
  /** What the message shows for the link when that is not the link itself ([U3]). */
  readonly shownText?: string
  /** The organisation's blocked domains ([U9]). */
  readonly blockedDomains?: readonly string[]
}

/**
 * [U2] Checks one link on this device, from its text alone: no URL is looked up, fetched or sent
 * anywhere ([U10]). Undefined: not a link ([U8]: not http(s), mailto or a dangerous scheme, or
 * not parseable). Never throws.
 */
export function checkLink(url: string, options: LinkCheckOptions = {}): LinkVerdict | undefined {
  const target = parseLinkTarget(url)
  return target && checkTarget(target, options)
}

export function checkTarget(target: LinkTarget, options: LinkCheckOptions = {}): LinkVerdict {
  const blocked = options.blockedDomains ?? []
  switch (target.kind) {
    case 'dangerous': {
      const text = `${target.scheme}: links run code or open files on this device; they are never opened from a message.`
      return verdict([{ code: LinkReasonCode.DANGEROUS_SCHEME, text }], { host: '', href: '' })
    }
    case 'mail': {
      const reasons: LinkReason[] = []
      for (const d of target.domains) reasons.push(...blockReasons(d.host, blocked), ...hostReasons(d.host, d.written))
      const shown = shownMismatch(options.shownText, target.domains)
      if (shown) reasons.push(mismatch(shown, target.domains[0]!.host))
      return verdict(reasons, { host: target.domains[0]!.host, href: target.url.href, ...(shown ? { shownHost: shown } : {}) })
    }
    case 'web': {
      const { url, rawAuthority } = target
      const host = bareHost(url.hostname)
      const display = displayHostOf(host)
      const reasons = [...blockReasons(host, blocked), ...hostReasons(url.hostname, writtenHost(rawAuthority))]
      let shown = shownMismatch(options.shownText, [{ host, written: host }])
      if (shown) reasons.push(mismatch(shown, host))
      if (rawAuthority.includes('@')) {
        const user = safeDecode(url.username || rawAuthority.slice(0, rawAuthority.lastIndexOf('@')))
        const pretends = user.includes('.') ? user : undefined
        shown ??= pretends
        const text = pretends
          ? `This link goes to ${display}. “${pretends}” before the @ is only a user name, not the site.`
          : `This link carries a user name before the @ (“${user}”); it goes to ${display}.`
        reasons.push({ code: LinkReasonCode.USERINFO, text })
      }
      const ext = dangerousExtension(url.pathname)
      if (ext) reasons.push({ code: LinkReasonCode.DANGEROUS_DOWNLOAD, text: `This link downloads a .${ext} file from ${display}: a type that can run programs on this device.` })
      return verdict(reasons, { host, href: url.href, ...(shown ? { shownHost: shown } : {}) })
    }
    default: {
      const never: never = target
      throw new Error(`unknown link target ${String(never)}`)
    }
  }
}

function blockReasons(host: string, list: readonly string[]): LinkReason[] {
  const entry = blockedEntry(host, list)
  if (entry === undefined) return []
  const display = displayHostOf(bareHost(host))
  const scope = entry === bareHost(host) ? '' : ` (it blocks all of ${displayHostOf(entry)})`
  return [{ code: LinkReasonCode.BLOCKED_DOMAIN, text: `${display} is on your organisation's list of blocked sites${scope}.` }]
}

/**
 * [U3] The first site the shown text names whose owner (registrable domain) is not the
 * target's, as a person reads it; undefined when the text names none or only the target's.
 */
function shownMismatch(shownText: string | undefined, targets: readonly MailDomain[]): string | undefined {
  if (!shownText) return undefined
  const owners = new Set(targets.map((t) => registrableDomain(t.host)))
  for (const m of findLinks(shownText.slice(0, LINK_LIMITS.shownTextChars)).slice(0, 10)) {
    const named = parseLinkTarget(urlOfMatch(m))
    const hosts = named?.kind === 'web' ? [named.url.hostname] : named?.kind === 'mail' ? named.domains.map((d) => d.host) : []
    const other = hosts.find((h) => !owners.has(registrableDomain(h)))
    if (other !== undefined) return displayHostOf(bareHost(other))
  }
  return undefined
}

const mismatch = (shown: string, host: string): LinkReason => ({
  code: LinkReasonCode.SHOWN_TEXT_MISMATCH,
  text: `This link shows ${shown} but goes to ${displayHostOf(host)}.`,
})

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

const RANK = { block: 0, warn: 1, ok: 2 } as const

function verdict(reasons: LinkReason[], at: { host: string; href: string; shownHost?: string }): LinkVerdict {
  const sorted = [...reasons].sort((a, b) => RANK[levelOf(a.code)] - RANK[levelOf(b.code)] || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
  return { level: levelOfAll(sorted), reasons: sorted, host: at.host, displayHost: displayHostOf(at.host), href: at.href, ...(at.shownHost ? { shownHost: at.shownHost } : {}) }
}
