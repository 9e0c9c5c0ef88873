import { checkTarget } from './check.js'
import { findLabelledLinks } from './labelled.js'
import { LINK_LIMITS } from './limits.js'
import { findLinks, urlOfMatch } from './linkify.js'
import { parseLinkTarget } from './target.js'
import type { LinkVerdict } from './verdict.js'

/**
 * [U1] A message's text cut into what a renderer shows one for one: plain text, and links with
 * their verdict. Joining every segment's `raw` gives the text back.
 */
export type MessageSegment =
  | { readonly kind: 'text'; readonly raw: string }
  | {
      readonly kind: 'link'
      /** The link as written in the message (`[shown](target)` for a labelled one). */
      readonly raw: string
      /** What the reader sees: the shown text of a labelled link, else the link as written. */
      readonly text: string
      readonly labelled: boolean
      readonly verdict: LinkVerdict
    }

export interface SegmentOptions {
  readonly blockedDomains?: readonly string[]
}

export function messageSegments(text: string, options: SegmentOptions = {}): MessageSegment[] {
  const head = text.slice(0, LINK_LIMITS.textChars)
  const out: MessageSegment[] = []
  let budget: number = LINK_LIMITS.links
  let at = 0
  const plain = (until: number) => {
    if (until > at) pushText(out, head.slice(at, until))
    at = Math.max(at, until)
  }
  const bare = (until: number) => {
    const gap = head.slice(at, until)
    const base = at
    for (const m of budget > 0 ? findLinks(gap) : []) {
      const target = parseLinkTarget(urlOfMatch(m))
      if (!target || budget <= 0) continue
      plain(base + m.index)
      out.push({ kind: 'link', raw: m.raw, text: m.raw, labelled: false, verdict: checkTarget(target, options) })
      at = base + m.lastIndex
      budget--
    }
    plain(until)
  }
  for (const l of findLabelledLinks(head)) {
    const target = budget > 0 ? parseLinkTarget(l.target) : undefined
    if (!target) continue
    bare(l.start)
    if (budget <= 0) break
    const raw = head.slice(l.start, l.end)
    out.push({ kind: 'link', raw, text: l.shown, labelled: true, verdict: checkTarget(target, { ...options, shownText: l.shown }) })
    at = l.end
    budget--
  }
  bare(head.length)
  if (text.length > head.length) pushText(out, text.slice(head.length))
  return out
}

function pushText(out: MessageSegment[], raw: string): void {
  const last = out[out.length - 1]
  if (last?.kind === 'text') out[out.length - 1] = { kind: 'text', raw: last.raw + raw }
  else out.push({ kind: 'text', raw })
}
