import { LINK_LIMITS } from './limits.js'
import { wholeFuzzyLink } from './linkify.js'

/**
 * [U8] What a link's target is, parsed once: a web address, an e-mail address, a scheme that is
 * never opened, or (undefined) not a link at all. Message text is untrusted input: nothing here
 * throws on any string.
 */
export type LinkTarget =
  | {
      readonly kind: 'web'
      readonly url: URL
      /** The authority as written (user-info, host, port), before the URL parser rewrote it. */
      readonly rawAuthority: string
    }
  | { readonly kind: 'mail'; readonly url: URL; readonly domains: readonly MailDomain[] }
  | { readonly kind: 'dangerous'; readonly scheme: string }

/** A mailto address's domain: as the URL parser writes hosts, and as it was written. */
export interface MailDomain {
  readonly host: string
  readonly written: string
}

/** Schemes that run code or reach local files when opened ([U8]). */
export const DANGEROUS_SCHEMES: ReadonlySet<string> = new Set(['javascript', 'data', 'file', 'vbscript'])

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/
// The URL parser drops tabs and newlines anywhere and C0 controls and spaces at either end;
// the scheme is read from the same string it will read.
const cleanUp = (s: string) => s.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')

export function parseLinkTarget(written: string): LinkTarget | undefined {
  if (written.length > LINK_LIMITS.urlChars) return undefined
  const input = cleanUp(written)
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase()
  if (scheme === undefined) {
    const fuzzy = wholeFuzzyLink(input)
    return fuzzy === undefined ? undefined : parseLinkTarget(fuzzy)
  }
  if (DANGEROUS_SCHEMES.has(scheme)) return { kind: 'dangerous', scheme }
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'mailto') return undefined
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return undefined
  }
  if (scheme === 'mailto') {
    const domains = mailDomains(url)
    return domains.length ? { kind: 'mail', url, domains } : undefined
  }
  if (!url.hostname) return undefined
  return { kind: 'web', url, rawAuthority: authorityOf(input.slice(scheme.length + 1)) }
}

/** For http(s) the parser treats `\` as `/` and skips any number of slashes before the host. */
function authorityOf(afterScheme: string): string {
  const rest = afterScheme.replace(/^[/\\]*/, '')
  const end = rest.search(/[/\\?#]/)
  return end < 0 ? rest : rest.slice(0, end)
}

/** The host part as written: after the last `@`, without the port. */
export function writtenHost(rawAuthority: string): string {
  const host = rawAuthority.slice(rawAuthority.lastIndexOf('@') + 1)
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1 || undefined)
  const colon = host.lastIndexOf(':')
  return colon < 0 ? host : host.slice(0, colon)
}

/** The domains of a mailto link's addresses (`mailto:a@x.example,b@y.example`), lower case, ASCII. */
function mailDomains(url: URL): MailDomain[] {
  const domains: MailDomain[] = []
  for (const address of url.pathname.split(',').slice(0, 20)) {
    let decoded: string
    try {
      decoded = decodeURIComponent(address)
    } catch {
      continue
    }
    const at = decoded.lastIndexOf('@')
    const written = at < 0 ? '' : decoded.slice(at + 1).trim()
    const host = asciiHost(written)
    if (host && !domains.some((d) => d.host === host)) domains.push({ host, written })
  }
  return domains
}

/** A host name as the URL parser stores it (lower case, IDN labels as punycode), or '' when it is not one. */
export function asciiHost(name: string): string {
  if (!name || name.length > 253 || /[\s/\\?#@]/.test(name)) return ''
  try {
    return new URL(`http://${name}/`).hostname
  } catch {
    return ''
  }
}
