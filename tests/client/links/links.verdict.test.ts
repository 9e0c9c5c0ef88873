import { describe, expect, test } from 'vitest'
import { checkLink, LinkReasonCode, type LinkVerdict } from '../../../client/core/links/index.js'

const codes = (v: LinkVerdict | undefined) => v?.reasons.map((r) => r.code)
const must = (v: LinkVerdict | undefined): LinkVerdict => {
  if (!v) throw new Error('not a link')
  return v
}

describe('[U2] verdicts', () => {
  test('[U2] true negatives: an ordinary link is ok with no reasons', () => {
    for (const url of ['https://example.com/a?b', 'http://example.org/docs/manual.pdf', 'https://www.example.co.uk/', 'mailto:ops@example.com', 'example.com', 'https://example.com/archive.zip']) {
      const v = must(checkLink(url))
      expect([url, v.level, v.reasons]).toEqual([url, 'ok', []])
    }
  })

  test('[U2] the level is the highest of the reasons; block reasons come first', () => {
    const v = must(checkLink('https://bank.com@evil.example/setup.exe', { blockedDomains: ['evil.example'] }))
    expect(v.level).toBe('block')
    expect(codes(v)).toEqual(['U202_BLOCKED_DOMAIN', 'U107_USERINFO', 'U108_DANGEROUS_DOWNLOAD'])
    expect(must(checkLink('https://example.com/setup.exe')).level).toBe('warn')
  })

  test('[U2] every code is numbered U1xx (warn) or U2xx (block), and none repeats', () => {
    const all = Object.values(LinkReasonCode)
    expect(new Set(all.map((c) => c.slice(0, 4))).size).toBe(all.length)
    for (const c of all) expect(c).toMatch(/^U[12]\d\d_[A-Z_]+$/)
  })

  test('[U2] a verdict names the real host, as the browser uses it and as a person reads it', () => {
    const v = must(checkLink('https://MÜLLER.de/Kontakt'))
    expect([v.host, v.displayHost, v.href]).toEqual(['xn--mller-kva.de', 'müller.de', 'https://xn--mller-kva.de/Kontakt'])
  })
})

describe('[U3] shown text that points somewhere else', () => {
  test('[U3] Mallory shows bank.com and links to evil.example: U101, naming both', () => {
    const v = must(checkLink('https://evil.example/login', { shownText: 'bank.com' }))
    expect(v.level).toBe('warn')
    expect(codes(v)).toEqual(['U101_SHOWN_TEXT_MISMATCH'])
    expect(v.shownHost).toBe('bank.com')
    expect(v.reasons[0]!.text).toBe('This link shows bank.com but goes to evil.example.')
  })

  test('[U3] a shown URL counts as its host; a subdomain of the target is not a mismatch', () => {
    expect(codes(checkLink('https://bank.com.evil.example/', { shownText: 'https://bank.com/login' }))).toEqual(['U101_SHOWN_TEXT_MISMATCH'])
    expect(codes(checkLink('https://www.bank.com/login', { shownText: 'Log in at bank.com' }))).toEqual([])
    expect(codes(checkLink('https://login.bank.co.uk/', { shownText: 'BANK.CO.UK' }))).toEqual([])
  })

  test('[U3] owners come from the public suffix list, private suffixes included', () => {
    expect(codes(checkLink('https://mallory.github.io/', { shownText: 'alice.github.io' }))).toEqual(['U101_SHOWN_TEXT_MISMATCH'])
    expect(codes(checkLink('https://evil.co.uk/', { shownText: 'bank.co.uk' }))).toEqual(['U101_SHOWN_TEXT_MISMATCH'])
  })

  test('[U3] shown text that names no site is not a mismatch; a shown address is compared by its domain', () => {
    expect(codes(checkLink('https://evil.example/', { shownText: 'the rota' }))).toEqual([])
    expect(codes(checkLink('mailto:help@evil.example', { shownText: 'help@bank.com' }))).toEqual(['U101_SHOWN_TEXT_MISMATCH'])
    expect(codes(checkLink('https://bank.com/contact', { shownText: 'help@bank.com' }))).toEqual([])
  })
})

describe('[U6] user-info before the host', () => {
  test('[U6] https://bank.com@evil.example: U107 says plainly that it goes to evil.example', () => {
    const v = must(checkLink('https://bank.com@evil.example/login'))
    expect(codes(v)).toEqual(['U107_USERINFO'])
    expect(v.host).toBe('evil.example')
    expect(v.shownHost).toBe('bank.com')
    expect(v.reasons[0]!.text).toBe('This link goes to evil.example. “bank.com” before the @ is only a user name, not the site.')
  })

  test('[U6] a user name and password, or an empty user-info, are flagged too', () => {
    expect(codes(checkLink('https://admin:hunter2@example.com/'))).toEqual(['U107_USERINFO'])
    expect(codes(checkLink('https://@example.com/'))).toEqual(['U107_USERINFO'])
    expect(must(checkLink('https://admin:hunter2@example.com/')).shownHost).toBeUndefined()
  })
})

describe('[U7] dangerous downloads', () => {
  test('[U7] a path ending in a program, script, installer or disk image is U108', () => {
    for (const file of ['setup.exe', 'invoice.scr', 'app.apk', 'update.msi', 'run.js', 'a.vbs', 'fix.ps1', 'go.bat', 'disk.iso', 'SETUP.EXE', 'setup%2Eexe', 'setup.exe.']) {
      expect([file, codes(checkLink(`https://example.com/dl/${file}`))]).toEqual([file, ['U108_DANGEROUS_DOWNLOAD']])
    }
  })

  test('[U7] documents, a host named .com and a query are not downloads', () => {
    for (const url of ['https://example.com/manual.pdf', 'https://example.com', 'https://example.com/?file=setup.exe', 'https://example.com/exe', 'https://example.com/a.json']) {
      expect([url, codes(checkLink(url))]).toEqual([url, []])
    }
  })
})

describe('[U8] schemes', () => {
  test('[U8] javascript:, data:, file: and vbscript: are blocked (U201), never opened', () => {
    for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'vbscript:msgbox(1)']) {
      const v = must(checkLink(url))
      expect([url, v.level, codes(v), v.href]).toEqual([url, 'block', ['U201_DANGEROUS_SCHEME'], ''])
    }
  })

  test('[U8] other schemes, and what does not parse, are not links', () => {
    for (const url of ['ftp://example.com/', 'tel:+49123', 'ssh://host', 'chrome://settings', 'https://', 'https://exa mple.com', 'not a link', '']) {
      expect([url, checkLink(url)]).toEqual([url, undefined])
    }
  })
})
