import { describe, expect, test } from 'vitest'
import { checkLink, type LinkVerdict } from '../../../client/core/links/index.js'

const codes = (v: LinkVerdict | undefined) => v?.reasons.map((r) => r.code)
const must = (v: LinkVerdict | undefined): LinkVerdict => {
  if (!v) throw new Error('not a link')
  return v
}

describe('[U4] look-alike names', () => {
  test('[U4] xn--pple-43d.com (a Cyrillic а): punycode written out (U102) and mixed scripts (U103), shown decoded', () => {
    const v = must(checkLink('https://xn--pple-43d.com/login'))
    expect(v.level).toBe('warn')
    expect(codes(v)).toEqual(['U102_PUNYCODE', 'U103_MIXED_SCRIPT'])
    expect(v.displayHost).toBe('\u0430pple.com')
    expect(v.reasons[0]!.text).toContain('“\u0430pple.com”')
    expect(v.reasons[1]!.text).toContain('Cyrillic: \u0430')
  })

  test('[U4] the same name written in Unicode is still mixed-script (U103), without U102', () => {
    expect(codes(checkLink('https://\u0430pple.com/'))).toEqual(['U103_MIXED_SCRIPT'])
    expect(codes(checkLink('https://pay\u03c1al.com/'))).toEqual(['U103_MIXED_SCRIPT'])
  })

  test('[U4] a label of Cyrillic letters that all look Latin, under a Latin TLD, is U104', () => {
    const v = must(checkLink('https://\u0430\u0440\u0440\u04cf\u0435.com/'))
    expect(codes(v)).toEqual(['U104_LOOKALIKE_SCRIPT'])
    expect(v.displayHost).toBe('\u0430\u0440\u0440\u04cf\u0435.com')
  })

  test('[U4] German and French IDNs in one script, written in Unicode, are ok and shown decoded', () => {
    for (const [url, display] of [['https://müller.de/', 'müller.de'], ['https://www.café.fr/menu', 'www.café.fr'], ['https://straße.de', 'straße.de'], ['https://élysée.fr', 'élysée.fr']] as const) {
      const v = must(checkLink(url))
      expect([url, v.level, v.displayHost]).toEqual([url, 'ok', display])
    }
  })

  test('[U4] a single-script non-Latin IDN (Cyrillic, Greek, Japanese) is ok: it cannot pass for a Latin name', () => {
    for (const url of ['https://яндекс.рф/', 'https://пример.испытание/', 'https://παράδειγμα.δοκιμή/', 'https://例え.テスト/', 'https://bücher-日本.jp/']) {
      expect([url, must(checkLink(url)).level]).toEqual([url, 'ok'])
    }
  })

  test('[U4] any host written in punycode is U102, even a harmless one, because a reader cannot judge it', () => {
    const v = must(checkLink('https://xn--mller-kva.de/'))
    expect(codes(v)).toEqual(['U102_PUNYCODE'])
    expect(v.reasons[0]!.text).toBe('The site\'s name is written in punycode (xn--mller-kva.de); it reads as “müller.de”.')
  })
})

describe('[U5] IP addresses and disguised hosts', () => {
  test('[U5] a raw IPv4 or IPv6 address is U105', () => {
    expect(codes(checkLink('http://192.168.1.1/admin'))).toEqual(['U105_IP_ADDRESS'])
    expect(codes(checkLink('http://[::1]:8080/'))).toEqual(['U105_IP_ADDRESS'])
    expect(must(checkLink('http://[2001:db8::1]/')).host).toBe('[2001:db8::1]')
  })

  test('[U5] numeric forms browsers accept are U106, naming the address the URL parser makes of them', () => {
    const forms: [string, string][] = [
      ['http://3232235777/', '192.168.1.1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://0177.0.0.1/', '127.0.0.1'],
      ['http://0xC0.0xA8.0x01.0x01/', '192.168.1.1'],
      ['http://127.1/', '127.0.0.1'],
      ['http://%31%32%37.0.0.1/', '127.0.0.1'],
    ]
    for (const [url, ip] of forms) {
      const v = must(checkLink(url))
      expect([url, codes(v), v.host]).toEqual([url, ['U105_IP_ADDRESS', 'U106_DISGUISED_HOST'], ip])
      expect(v.reasons[1]!.text).toContain(`the IP address ${ip}`)
    }
    expect(codes(checkLink('http://[::ffff:127.0.0.1]/'))).toEqual(['U105_IP_ADDRESS', 'U106_DISGUISED_HOST'])
  })

  test('[U5] a percent-encoded name is U106; an ordinary name with a port is nothing', () => {
    expect(codes(checkLink('https://exa%6Dple.com/'))).toEqual(['U106_DISGUISED_HOST'])
    expect(codes(checkLink('https://example.com:8443/'))).toEqual([])
  })
})
