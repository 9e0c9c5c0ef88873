import type { SearchHit } from '../core/messenger.js'
import type { ConvId } from '../../protocol/index.js'

/** [W25] Hits of one conversation, in the engine's order (best first, then newest). */
export interface SearchGroup {
  readonly conv: ConvId
  readonly title: string
  readonly hits: readonly SearchHit[]
}

/** [W25] Groups hits by conversation; groups come in the order of their best hit. */
export function groupHits(hits: readonly SearchHit[]): SearchGroup[] {
  const groups = new Map<ConvId, { conv: ConvId; title: string; hits: SearchHit[] }>()
  for (const h of hits) {
    const g = groups.get(h.conv)
    if (g) g.hits.push(h)
    else groups.set(h.conv, { conv: h.conv, title: h.convTitle, hits: [h] })
  }
  return [...groups.values()]
}

/** [W25] A snippet cut into plain and matched pieces ([M52] `ranges`: each matched word). */
export function snippetPieces(snippet: SearchHit['snippet']): { text: string; match: boolean }[] {
  const out: { text: string; match: boolean }[] = []
  let at = 0
  for (const [start, end] of [...snippet.ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start || end > snippet.text.length) continue // overlapping, empty or out of the text
    if (start > at) out.push({ text: snippet.text.slice(at, start), match: false })
    out.push({ text: snippet.text.slice(start, end), match: true })
    at = end
  }
  if (at < snippet.text.length) out.push({ text: snippet.text.slice(at), match: false })
  return out
}
