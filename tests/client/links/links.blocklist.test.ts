import { describe, expect, test } from 'vitest'
import { blockedDomainsOf, blockedDomainsOfAll, checkLink, messageSegments, normaliseBlockedDomain, type LinkVerdict } from '../../../client/core/links/index.js'

const codes = (v: LinkVerdict | undefined) => v?.reasons.map((r) => r.code)
/** Acme's admins list the phishing kit's domain and a whole lookalike zone. */
const ACME = ['evil.example', '*.phish.test', ' Bad-Host.Example. ', 'bücher.example', '10.0.0.7', 'not a domain', '']

describe('[U9] the organisation blocklist', () => {
  test('[U9] a listed domain and every subdomain of it are blocked (U202); a look-alike suffix is not', () => {
    for (const url of ['https://evil.example/', 'https://a.b.evil.example/x', 'http://EVIL.example./', 'https://login.phish.test/', 'https://phish.test/', 'https://bad-host.example/']) {
      const v = checkLink(url, { blockedDomains: ACME })
      expect([url, v?.level, codes(v)]).toEqual([url, 'block', ['U202_BLOCKED_DOMAIN']])
    }
    for (const url of ['https://notevil.example/', 'https://evil.example.com/', 'https://example/', 'https://10.0.0.70/']) {
      expect([url, codes(checkLink(url, { blockedDomains: ACME }))]).toEqual([url, url.includes('10.0.0') ? ['U105_IP_ADDRESS'] : []])
    }
  })

  test('[U9] the reason names the host, and the listed parent when a subdomain is blocked', () => {
    expect(checkLink('https://evil.example/', { blockedDomains: ACME })?.reasons[0]?.text).toBe("evil.example is on your organisation's list of blocked sites.")
    expect(checkLink('https://cdn.evil.example/', { blockedDomains: ACME })?.reasons[0]?.text).toBe("cdn.evil.example is on your organisation's list of blocked sites (it blocks all of evil.example).")
  })

  test('[U9] IDN entries match their punycode form; IP entries match the address only', () => {
    expect(codes(checkLink('https://xn--bcher-kva.example/', { blockedDomains: ACME }))).toEqual(['U202_BLOCKED_DOMAIN', 'U102_PUNYCODE'])
    expect(codes(checkLink('http://10.0.0.7/', { blockedDomains: ACME }))).toEqual(['U202_BLOCKED_DOMAIN', 'U105_IP_ADDRESS'])
    expect(codes(checkLink('http://167772167/', { blockedDomains: ACME }))).toEqual(['U202_BLOCKED_DOMAIN', 'U105_IP_ADDRESS', 'U106_DISGUISED_HOST'])
  })

  test('[U9] e-mail links to a blocked domain are blocked too', () => {
    expect(checkLink('mailto:payroll@evil.example', { blockedDomains: ACME })?.level).toBe('block')
    expect(checkLink('mailto:ops@example.com,payroll@x.evil.example', { blockedDomains: ACME })?.level).toBe('block')
  })

  test('[U9] entries are normalised; what is not a host name is ignored', () => {
    expect(['*.Phish.Test', '.phish.test.', 'Bücher.example', 'not a domain', '', 'a/b'].map(normaliseBlockedDomain)).toEqual([
      'phish.test', 'phish.test', 'xn--bcher-kva.example', undefined, undefined, undefined,
    ])
  })

  test('[U9] a blocked link in a message is a link segment with a block verdict (the renderer makes it text)', () => {
    const [, link] = messageSegments('see https://evil.example/a now', { blockedDomains: ACME })
    expect(link).toMatchObject({ kind: 'link', text: 'https://evil.example/a', verdict: { level: 'block' } })
  })

  test('[U9] the list is read defensively from a policy: absent, or not a list of strings, is no list', () => {
    expect(blockedDomainsOf({ requireLock: false, blockedDomains: ['evil.example', 7, null] })).toEqual(['evil.example'])
    expect(blockedDomainsOf({ requireLock: false })).toEqual([])
    expect(blockedDomainsOf({ blockedDomains: 'evil.example' })).toEqual([])
    expect(blockedDomainsOf(undefined)).toEqual([])
    expect(blockedDomainsOfAll([{ blockedDomains: ['a.example'] }, { blockedDomains: ['b.example', 'a.example'] }, {}])).toEqual(['a.example', 'b.example'])
  })
})
