import { LinkifyIt, type Match } from 'linkify-it'
import { LINK_LIMITS } from './limits.js'

/**
 * [U1] The one configured linkify-it: `http(s):` and `mailto:` links, bare domains and e-mail
 * addresses as linkify-it recognises them (its TLD rules), and user-info kept inside the match
 * so that `https://bank.com@evil.example` is checked whole ([U6]). `ftp:` and protocol-relative
 * `//host` links are not links here.
 */
const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: true, fuzzyIP: false, urlAuth: true, maxLength: LINK_LIMITS.urlChars })
  .add('ftp:', null)
  .add('//', null)

export function findLinks(text: string): readonly Match[] {
  return linkify.match(text) ?? []
}

/** The URL a match stands for: bare domains open over https, bare addresses as mailto. */
export function urlOfMatch(m: Match): string {
  if (m.schema !== '') return m.url
  return m.url.startsWith('mailto:') ? m.url : `https://${m.raw}`
}

/** `text` (written without a scheme) as one bare link, whole ("example.com", "bob@example.com"), or undefined. */
export function wholeFuzzyLink(text: string): string | undefined {
  const found = linkify.match(text)
  const only = found?.length === 1 ? found[0] : undefined
  return only && only.index === 0 && only.lastIndex === text.length ? urlOfMatch(only) : undefined
}
