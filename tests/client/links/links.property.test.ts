import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { checkLink, LINK_LIMITS, messageSegments } from '../../../client/core/links/index.js'

/**
 * [U11] Message text is untrusted: any string, including ones built to make regular
 * expressions backtrack, is cut into segments without throwing, with bounded output. No timing
 * is asserted; each run must simply finish.
 */
const pieces = fc.constantFrom(
  '[', ']', '(', ')', '](', '[a](', 'https://', 'http://', 'mailto:', 'xn--', '@', '.', '..', ':', '/', '\\', '%', ' ', '\n',
  'example.com', 'а', 'ρ', 'javascript:', 'data:', '0x7f', '3232235777', 'www.', '-', '_', '?', '#', '<', '>', '"', '\u200b', '日本',
)
const hostile = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.array(pieces, { maxLength: 400 }).map((p) => p.join('')),
  fc.tuple(pieces, fc.integer({ min: 1, max: 3000 })).map(([p, n]) => p.repeat(n).slice(0, 25_000)),
)

describe('[U11] pathological input', () => {
  test('[U11] [U2] messageSegments never throws, gives the text back, and stays within the link cap', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const segments = messageSegments(text, { blockedDomains: ['evil.example'] })
        expect(segments.map((s) => s.raw).join('')).toBe(text)
        expect(segments.filter((s) => s.kind === 'link').length).toBeLessThanOrEqual(LINK_LIMITS.links)
        for (const s of segments) if (s.kind === 'link') expect(s.verdict.level === 'ok').toBe(s.verdict.reasons.length === 0)
      }),
      { numRuns: 300 },
    )
  })

  test('[U11] [U2] checkLink never throws on any string, shown text or blocklist', () => {
    fc.assert(
      fc.property(hostile, fc.option(hostile, { nil: undefined }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), (url, shownText, blockedDomains) => {
        const v = checkLink(url, { blockedDomains, ...(shownText !== undefined ? { shownText } : {}) })
        if (v) expect(['ok', 'warn', 'block']).toContain(v.level)
      }),
      { numRuns: 300 },
    )
  })

  test('[U11] the worst cases we know finish: long runs of brackets, dots, hosts and labelled links', () => {
    const n = LINK_LIMITS.textChars
    for (const text of ['['.repeat(n), '[a]('.repeat(n / 4), `[${'a'.repeat(199)}`.repeat(n / 200), 'a.'.repeat(n / 2), 'https://a'.repeat(n / 9), '@a.b'.repeat(n / 4), `[x](https://${'a.'.repeat(2000)}com)`.repeat(4)]) {
      expect(messageSegments(text).map((s) => s.raw).join('')).toBe(text)
    }
  })
})
