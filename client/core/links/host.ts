import punycode from 'punycode/punycode.js'
import { getDomain, parse } from 'tldts'
import { isMixedScript, latinLookalikeScript, lettersIn, scriptsOf } from './scripts.js'
import { LinkReasonCode, type LinkReason } from './verdict.js'

/** A host without the trailing dot of a fully qualified name (`bank.com.` is bank.com). */
export const bareHost = (host: string): string => host.replace(/\.$/, '')

export const isIpHost = (host: string): boolean => host.startsWith('[') || parse(host).isIp === true

/** [U4] The host as a person reads it: punycode labels decoded. Never throws. */
export function displayHostOf(host: string): string {
  if (isIpHost(host)) return host
  try {
    return punycode.toUnicode(host)
  } catch {
    return host
  }
}

/**
 * [U3] Who owns a host: its registrable domain by the public suffix list, private suffixes
 * included (alice.github.io and bob.github.io are different sites). An IP address, or a name
 * under no known suffix (`localhost`, `intranet`), is its own owner.
 */
export function registrableDomain(host: string): string {
  const bare = bareHost(host)
  if (isIpHost(bare)) return bare
  return getDomain(bare, { allowPrivateDomains: true }) ?? bare
}

const quote = (s: string) => `“${s}”`

/**
 * [U4] [U5] What the host itself gives away: punycode written out, scripts mixed in one label,
 * a label of look-alike letters, a raw IP address, and a host written in a form the URL parser
 * rewrites into an IP address (or percent-encoded).
 * @param host the parser's host (ASCII, lower case)
 * @param written the host as it was written in the link
 */
export function hostReasons(host: string, written: string): LinkReason[] {
  const reasons: LinkReason[] = []
  const bare = bareHost(host)
  const shown = displayHostOf(bare)
  if (isIpHost(bare)) {
    reasons.push({ code: LinkReasonCode.IP_ADDRESS, text: `This link goes to a bare IP address (${bare}), not to a named site.` })
    const asWritten = bareHost(written.toLowerCase())
    if (asWritten !== bare) {
      reasons.push({ code: LinkReasonCode.DISGUISED_HOST, text: `The address is written as ${quote(written)}, which browsers read as the IP address ${bare}.` })
    }
    return reasons
  }
  if (written.includes('%')) {
    reasons.push({ code: LinkReasonCode.DISGUISED_HOST, text: `The site's name is written in percent-encoding (${quote(written)}); it is ${shown}.` })
  }
  if (/(^|\.)xn--/i.test(written)) {
    reasons.push({ code: LinkReasonCode.PUNYCODE, text: `The site's name is written in punycode (${bare}); it reads as ${quote(shown)}.` })
  }
  const labels = shown.split('.')
  const tldScripts = scriptsOf(labels[labels.length - 1] ?? '')
  for (const label of labels) {
    const scripts = scriptsOf(label)
    if (isMixedScript(scripts)) {
      const foreign = scripts.filter((s) => (scripts.includes('Latin') ? s !== 'Latin' : s !== scripts[0])).map((s) => `${s}: ${lettersIn(label, s)}`).join('; ')
      reasons.push({ code: LinkReasonCode.MIXED_SCRIPT, text: `${quote(label)} in ${shown} mixes ${scripts.join(' and ')} letters (${foreign}): it may imitate another site's name.` })
      break
    }
    const lookalike = latinLookalikeScript(label)
    if (lookalike && !tldScripts.includes(lookalike)) {
      reasons.push({ code: LinkReasonCode.LOOKALIKE_SCRIPT, text: `${quote(label)} in ${shown} is written in ${lookalike} letters that look like Latin ones: it may imitate another site's name (${bare}).` })
      break
    }
  }
  return reasons
}
