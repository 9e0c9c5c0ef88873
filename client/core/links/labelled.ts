import { LINK_LIMITS } from './limits.js'

/**
 * [U1] A labelled link `[shown text](target)` in a plain-text message: the shown text is what
 * the reader sees, the target is where it goes. The shown text has no brackets or line breaks
 * (at most `shownChars`); the target no spaces or brackets, and parentheses only in pairs one deep
 * (`https://en.wikipedia.org/wiki/Foo_(bar)`, `javascript:alert(1)`), at most `urlChars`.
 */
export interface LabelledLink {
  /** Offsets of the whole `[…](…)` in the text. */
  readonly start: number
  readonly end: number
  readonly shown: string
  readonly target: string
}

const SHOWN_STOP = /[[\n]/
const TARGET_STOP = /[\s[\]<>"]/

/**
 * Every labelled link in `text`, in order. Linear: a shown text stops at the next `[` and a
 * target at the next bracket, so no character is scanned from more than one `[` ([U11]).
 */
export function findLabelledLinks(text: string): LabelledLink[] {
  const found: LabelledLink[] = []
  let from = 0
  for (;;) {
    const open = text.indexOf('[', from)
    if (open < 0) return found
    from = open + 1
    const close = shownEnd(text, open + 1)
    if (close < 0 || text[close + 1] !== '(') continue
    const shown = text.slice(open + 1, close)
    const end = targetEnd(text, close + 2)
    if (end < 0 || !shown.trim() || end === close + 2) continue
    found.push({ start: open, end: end + 1, shown, target: text.slice(close + 2, end) })
    from = end + 1
  }
}

/** The index of the `]` that ends a shown text starting at `at`, or -1. */
function shownEnd(text: string, at: number): number {
  const limit = Math.min(text.length, at + LINK_LIMITS.shownChars + 1)
  for (let i = at; i < limit; i++) {
    const ch = text[i]!
    if (ch === ']') return i
    if (SHOWN_STOP.test(ch)) return -1
  }
  return -1
}

/** The index of the `)` that ends a target starting at `at`, or -1. */
function targetEnd(text: string, at: number): number {
  const limit = Math.min(text.length, at + LINK_LIMITS.urlChars + 1)
  let open = false
  for (let i = at; i < limit; i++) {
    const ch = text[i]!
    if (ch === ')') {
      if (!open) return i
      open = false
    } else if (ch === '(') {
      if (open) return -1
      open = true
    } else if (TARGET_STOP.test(ch)) return -1
  }
  return -1
}
