import { describe, expect, test } from 'vitest'
import { boundLimit, boundQuery, foldTerm, words } from '../../../client/core/search/terms.js'
import { snippetOf } from '../../../client/core/search/snippet.js'

describe('[M51] terms', () => {
  test('[M51] case and accents fold away: German, French and Spanish words meet their plain spellings', () => {
    const pairs: [string, string][] = [
      ['Straße', 'strasse'], ['STRASSE', 'strasse'], ['Über', 'uber'], ['Grüße', 'grusse'], ['Öl', 'ol'],
      ['Café', 'cafe'], ['élève', 'eleve'], ['garçon', 'garcon'], ['Noël', 'noel'], ['œuvre', 'œuvre'],
      ['mañana', 'manana'], ['Canción', 'cancion'], ['AÑO', 'ano'], ['ﬁnal', 'final'],
    ]
    for (const [word, folded] of pairs) expect(foldTerm(word), word).toBe(folded)
    // Composed and decomposed spellings of one word are one term.
    expect(foldTerm('Cafe\u0301')).toBe(foldTerm('Caf\u00e9'))
  })

  test('[M51] words split at spaces and punctuation, not inside words with marks or digits', () => {
    expect(words("l'été à Zürich: pump-3, ¿mañana? 42°C")).toEqual(['l', 'été', 'à', 'Zürich', 'pump', '3', 'mañana', '42', 'C'])
    expect(words('Cafe\u0301 ok')).toEqual(['Cafe\u0301', 'ok'])
  })

  test('[M52] a query is cut to 200 characters and 10 words; the last word is a prefix unless a space follows it', () => {
    expect(boundQuery('Pump stat')).toEqual({ terms: ['pump', 'stat'], prefixLast: true })
    expect(boundQuery('Pump station ')).toEqual({ terms: ['pump', 'station'], prefixLast: false })
    expect(boundQuery('  ,;  ')).toEqual({ terms: [], prefixLast: false })
    const many = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ')
    expect(boundQuery(many).terms).toEqual(Array.from({ length: 10 }, (_, i) => `w${i}`))
    expect(boundQuery(many).prefixLast).toBe(false) // the 10th word was not the last one typed
    expect(boundQuery('x'.repeat(500)).terms).toEqual(['x'.repeat(200)])
  })

  test('[M52] limits are whole numbers from 1 to 200 (50 when not given)', () => {
    expect([undefined, 0, -5, 3.7, 10_000, Number.NaN, Infinity].map(boundLimit)).toEqual([50, 1, 1, 3, 200, 50, 50])
  })
})

describe('[M52] snippets', () => {
  test('[M52] a short text is whole, with every matched word marked where it stands', () => {
    const s = snippetOf('Die Straße bei der STRASSE ist frei', ['strasse'])
    expect(s.text).toBe('Die Straße bei der STRASSE ist frei')
    expect(s.ranges.map(([a, b]) => s.text.slice(a, b))).toEqual(['Straße', 'STRASSE'])
  })

  test('[M52] a long text is cut around the first match, with ellipses, and the ranges still point at the words', () => {
    const text = `${'lorem ipsum '.repeat(40)}the pump at Café Noël failed ${'dolor sit '.repeat(40)}`
    const s = snippetOf(text, ['pump', 'cafe'])
    expect(s.text.length).toBeLessThan(200)
    expect(s.text.startsWith('…')).toBe(true)
    expect(s.text.endsWith('…')).toBe(true)
    expect(s.ranges.map(([a, b]) => s.text.slice(a, b))).toEqual(['pump', 'Café'])
  })
})
