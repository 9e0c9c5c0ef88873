import { foldTerm, wordsAt } from './terms.js'

/** A short piece of a message around what matched; `ranges`: [start, end) of each matched word in `text`. */
export interface Snippet {
  readonly text: string
  readonly ranges: readonly (readonly [number, number])[]
}

const WIDTH = 160
const BEFORE = 50

/**
 * The part of `text` around its first matched word (the whole text when it is short), with every
 * word in it whose folded form is one of `terms` (the index terms a hit matched, [M51]) marked.
 * An ellipsis stands where text was cut.
 */
export function snippetOf(text: string, terms: readonly string[]): Snippet {
  const wanted = new Set(terms)
  const hits = wordsAt(text).filter((w) => wanted.has(foldTerm(w.word)))
  let start = 0
  let end = text.length
  if (text.length > WIDTH) {
    const first = hits[0]?.start ?? 0
    start = Math.max(0, Math.min(first - BEFORE, text.length - WIDTH))
    end = Math.min(text.length, start + WIDTH)
    // Cut at spaces where there is one near, not inside a word.
    const space = text.lastIndexOf(' ', start)
    if (start > 0 && space >= 0 && start - space < 15) start = space + 1
    const after = text.indexOf(' ', end)
    if (end < text.length && after >= 0 && after - end < 15) end = after
  }
  const lead = start > 0 ? '…' : ''
  const shown = `${lead}${text.slice(start, end)}${end < text.length ? '…' : ''}`
  const shift = lead.length - start
  const ranges = hits.filter((w) => w.start >= start && w.end <= end).map((w) => [w.start + shift, w.end + shift] as const)
  return { text: shown, ranges }
}
