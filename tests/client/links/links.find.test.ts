import { describe, expect, test } from 'vitest'
import { LINK_LIMITS, messageSegments, type MessageSegment } from '../../../client/core/links/index.js'
import { MAX_MESSAGE_CHARS } from '../../../client/core/documents/model.js'

type Link = Extract<MessageSegment, { kind: 'link' }>
const links = (text: string) => messageSegments(text).filter((s): s is Link => s.kind === 'link')
const joined = (segments: readonly MessageSegment[]) => segments.map((s) => s.raw).join('')

describe('[U1] links are found in message text', () => {
  test('[U1] http, https, mailto, bare domains and bare e-mail addresses are links; the rest is text', () => {
    const text = 'Manual: https://example.com/a?b, old http://example.org/x, mail mailto:ops@example.com or ops@example.net, site www.example.co.uk.'
    const segments = messageSegments(text)
    expect(joined(segments)).toBe(text)
    expect(links(text).map((l) => [l.text, l.verdict.href, l.labelled])).toEqual([
      ['https://example.com/a?b', 'https://example.com/a?b', false],
      ['http://example.org/x', 'http://example.org/x', false],
      ['mailto:ops@example.com', 'mailto:ops@example.com', false],
      ['ops@example.net', 'mailto:ops@example.net', false],
      ['www.example.co.uk', 'https://www.example.co.uk/', false],
    ])
    expect(segments[0]).toEqual({ kind: 'text', raw: 'Manual: ' })
  })

  test('[U1] a bare domain opens over https', () => {
    expect(links('see example.com')[0]?.verdict.href).toBe('https://example.com/')
  })

  test('[U1] ftp:, protocol-relative //host and unknown schemes are not links', () => {
    expect(links('ftp://files.example.com/a //cdn.example.com/x tel:+4912345 foo:bar')).toEqual([])
  })

  test('[U1] a message without links is one text segment, an empty one none', () => {
    expect(messageSegments('Crane 4 is down, back at 6')).toEqual([{ kind: 'text', raw: 'Crane 4 is down, back at 6' }])
    expect(messageSegments('')).toEqual([])
  })

  test('[U1] a labelled link [shown](target) shows its text and is checked against its target', () => {
    const text = 'Log in at [bank.com](https://evil.example/login) today'
    const segments = messageSegments(text)
    expect(joined(segments)).toBe(text)
    const [link] = links(text)
    expect(link).toMatchObject({ raw: '[bank.com](https://evil.example/login)', text: 'bank.com', labelled: true })
    expect(link?.verdict.href).toBe('https://evil.example/login')
    expect(link?.verdict.reasons.map((r) => r.code)).toEqual(['U101_SHOWN_TEXT_MISMATCH'])
  })

  test('[U1] labelled targets may hold one pair of parentheses; a URL inside shown text is not linked twice', () => {
    expect(links('[wiki](https://en.wikipedia.org/wiki/Crane_(machine))')[0]?.verdict.href).toBe('https://en.wikipedia.org/wiki/Crane_(machine)')
    expect(links('[https://example.com](https://example.com/x)').map((l) => l.text)).toEqual(['https://example.com'])
  })

  test('[U1] brackets that are not a labelled link stay text, and links after them are still found', () => {
    const text = '[draft] (see notes) [a](ftp://x.example) [b]( https://x.example) then https://example.com'
    expect(joined(messageSegments(text))).toBe(text)
    // `[b]( https://…)` is not a labelled link (a space before the target); its bare URL still is a link.
    expect(links(text).map((l) => [l.text, l.labelled])).toEqual([['https://x.example', false], ['https://example.com', false]])
  })

  test('[U1] a labelled link whose target has no scheme is read like a bare link', () => {
    expect(links('[docs](docs.example.com/guide)')[0]?.verdict.href).toBe('https://docs.example.com/guide')
  })
})

describe('[U11] the work per message is bounded', () => {
  test('[U11] the text cap is the message cap of [M16]', () => {
    expect(LINK_LIMITS.textChars).toBe(MAX_MESSAGE_CHARS)
  })

  test('[U11] links after the first 100 stay text; the text is unchanged', () => {
    const text = Array.from({ length: 150 }, (_, i) => `https://example.com/${i}`).join(' ')
    const segments = messageSegments(text)
    expect(segments.filter((s) => s.kind === 'link')).toHaveLength(LINK_LIMITS.links)
    expect(joined(segments)).toBe(text)
  })

  test('[U11] text beyond the cap is plain text', () => {
    const text = `${'x '.repeat(LINK_LIMITS.textChars / 2)}https://example.com`
    const segments = messageSegments(text)
    expect(segments.some((s) => s.kind === 'link')).toBe(false)
    expect(joined(segments)).toBe(text)
  })

  test('[U11] a link longer than the URL cap is not a link', () => {
    const long = `https://example.com/${'a'.repeat(LINK_LIMITS.urlChars)}`
    expect(links(long)).toEqual([])
    expect(links(`[x](${long})`)).toEqual([])
  })
})
