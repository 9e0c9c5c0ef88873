import { bareHost, isIpHost } from './host.js'
import { asciiHost } from './target.js'

/**
 * [U9] The organisation's blocked domains. An entry blocks its host and every subdomain of it
 * (`evil.example` blocks `a.b.evil.example`, not `notevil.example`); `*.x` and `.x` mean x.
 * Entries are compared as the URL parser writes hosts (lower case, punycode), so an entry in
 * Unicode blocks its IDN. An entry that is not a host name is ignored.
 */
const compiled = new WeakMap<readonly string[], ReadonlySet<string>>()

export function normaliseBlockedDomain(entry: string): string | undefined {
  const name = entry.trim().toLowerCase().replace(/^\*?\.+/, '').replace(/\.+$/, '')
  const host = name ? asciiHost(name) : ''
  return host ? bareHost(host) : undefined
}

function compile(list: readonly string[]): ReadonlySet<string> {
  let set = compiled.get(list)
  if (!set) {
    set = new Set(list.flatMap((e) => (typeof e === 'string' ? (normaliseBlockedDomain(e) ?? []) : [])))
    compiled.set(list, set)
  }
  return set
}

/** The listed entry that blocks `host` (itself or the nearest parent domain listed), if any. */
export function blockedEntry(host: string, list: readonly string[]): string | undefined {
  if (!list.length) return undefined
  const set = compile(list)
  const bare = bareHost(host)
  if (isIpHost(bare)) return set.has(bare) ? bare : undefined
  const labels = bare.split('.')
  for (let i = 0; i < labels.length; i++) {
    const candidate = labels.slice(i).join('.')
    if (set.has(candidate)) return candidate
  }
  return undefined
}
