/**
 * [W19] Mentions in the composer and in sent messages, pure (no DOM): the "@name" being typed
 * before the caret, the text with a chosen name put in its place, the ids still named in the text
 * when it is sent, and a message's text cut at its mentions for highlighting.
 */
export interface MentionCandidate {
  /** What the engine stores ([M43]): the person's user id in the directory, or a device's hex. */
  readonly id: string
  readonly name: string
  /** This device's person (offered last, never first). */
  readonly me: boolean
}

/** The "@…" being typed: where its "@" is and what follows it up to the caret. */
export interface MentionQuery {
  readonly start: number
  readonly query: string
}

/** Names offered at most. */
export const MAX_OFFERED = 8

/** An "@" at the start or after white space, then no white space up to the caret (names with a space are matched as typed on). */
export function mentionQuery(text: string, caret: number): MentionQuery | undefined {
  const before = text.slice(0, caret)
  const at = before.lastIndexOf('@')
  if (at < 0 || (at > 0 && !/\s/.test(before[at - 1]!))) return undefined
  const query = before.slice(at + 1)
  // A name may have spaces ("Ana Lima"), but a query does not run over a line or past 30 characters.
  if (query.length > 30 || /[\n@]/.test(query)) return undefined
  return { start: at, query }
}

/** Candidates whose name (or one of its words) starts with the query, case- and accent-insensitively. */
export function offered(candidates: readonly MentionCandidate[], query: string): MentionCandidate[] {
  const q = fold(query)
  const hits = candidates.filter((c) => {
    const name = fold(c.name)
    return name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q))
  })
  return hits.sort((a, b) => Number(a.me) - Number(b.me) || a.name.localeCompare(b.name)).slice(0, MAX_OFFERED)
}

/** The text with "@query" replaced by "@Name " and where the caret goes after it. */
export function applyMention(text: string, q: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `
  const rest = text.slice(caret).replace(/^ /, '')
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length }
}

/** The chosen mentions whose "@Name" is still in the text as sent (a deleted mention is not sent). */
export function mentionsIn(text: string, chosen: readonly MentionCandidate[]): string[] {
  const ids = chosen.filter((c) => text.includes(`@${c.name}`)).map((c) => c.id)
  return [...new Set(ids)]
}

export type MentionPart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'mention'; readonly text: string; readonly me: boolean }

/**
 * A sent message's text cut at "@Name" for each name its mentions stand for (longest names first,
 * so "@Ana Lima" wins over "@Ana"); `mine`: the names that are this device's person.
 */
export function mentionParts(text: string, names: readonly { readonly name: string; readonly me: boolean }[]): MentionPart[] {
  const sorted = [...names].filter((n) => n.name).sort((a, b) => b.name.length - a.name.length)
  if (!sorted.length) return [{ kind: 'text', text }]
  const parts: MentionPart[] = []
  let plain = ''
  for (let i = 0; i < text.length; ) {
    const hit = text[i] === '@' ? sorted.find((n) => text.startsWith(n.name, i + 1)) : undefined
    if (!hit) {
      plain += text[i++]
      continue
    }
    if (plain) parts.push({ kind: 'text', text: plain })
    plain = ''
    parts.push({ kind: 'mention', text: `@${hit.name}`, me: hit.me })
    i += hit.name.length + 1
  }
  if (plain) parts.push({ kind: 'text', text: plain })
  return parts
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}
