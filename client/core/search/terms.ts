/**
 * [M51] How text becomes search terms, the same for what is indexed and what is asked: words are
 * runs of letters, digits and combining marks (so "l'été", "e-mail" and "Straße, café" split where
 * a reader would split them), folded to lower case, decomposed (NFKD) with their combining marks
 * dropped, and ß read as ss: "Café", "CAFE" and "cafe" are one term, and so are "Straße" and
 * "strasse", "mañana" and "manana", "Über" and "uber".
 */
const WORD = /[\p{L}\p{N}\p{M}]+/gu
const MARKS = /\p{M}/gu

export function foldTerm(word: string): string {
  return word.toLowerCase().normalize('NFKD').replace(MARKS, '').replace(/ß/g, 'ss')
}

/** The words of a text, as they are written. */
export function words(text: string): string[] {
  return text.match(WORD) ?? []
}

/** The words of a text with where each stands: [start, end) in UTF-16 code units. */
export function wordsAt(text: string): { word: string; start: number; end: number }[] {
  return [...text.matchAll(WORD)].map((m) => ({ word: m[0], start: m.index, end: m.index + m[0].length }))
}

/** [M52] Bounds on the work one query may ask for. */
export const MAX_QUERY_CHARS = 200
export const MAX_QUERY_TERMS = 10
export const MAX_LIMIT = 200
export const DEFAULT_LIMIT = 50

/**
 * [M52] A query as it is run: at most MAX_QUERY_CHARS characters and MAX_QUERY_TERMS words (the
 * rest is left out, not refused: a person typing never gets an error), folded; empty when no word
 * is left. `prefixLast`: the last word is still being typed unless the query ends in a space.
 */
export function boundQuery(query: string): { terms: string[]; prefixLast: boolean } {
  const cut = query.slice(0, MAX_QUERY_CHARS)
  const terms = words(cut).slice(0, MAX_QUERY_TERMS).map(foldTerm).filter((t) => t.length > 0)
  const typing = !/[^\p{L}\p{N}\p{M}]$/u.test(cut) && words(cut).length <= MAX_QUERY_TERMS
  return { terms, prefixLast: typing }
}

export function boundLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)))
}
