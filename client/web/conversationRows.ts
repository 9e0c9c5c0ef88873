import { createStore, reconcile } from 'solid-js/store'
import type { ConversationPreview, ConversationSummary, Messenger, PreviewMessage } from '../core/messenger.js'
import type { ConvId } from '../../protocol/index.js'

/** One row of the conversation list ([W9]): the conversation, its newest message and its last activity once read. */
export interface ConversationRow extends ConversationSummary {
  readonly preview?: PreviewMessage
  readonly activity?: number
  /** [W24] Messages from others after this device's read cursor ([M56]). */
  readonly unread?: number
}

/** Previews are read again this long after the last change to a conversation: a burst of messages costs one read. */
const SETTLE_MS = 150

/**
 * [W9] The conversation list as shown: conversations and groups, newest activity first, each with
 * its preview (`messenger.preview`). An organisation's own conversation is left out: the
 * organisation is listed once, under Organisations, and its page opens its conversation.
 */
export function bindConversationRows(messenger: Messenger, isOrganisation: (conv: ConvId) => boolean) {
  const previews = new Map<ConvId, ConversationPreview>()
  let summaries: readonly ConversationSummary[] = []
  const [rows, setRows] = createStore<ConversationRow[]>([])
  // [W24] Unread counts of every conversation (organisations' own included), from `unread` events and each preview read.
  const [counts, setCounts] = createStore<Record<string, number | undefined>>({})

  const rebuild = () => {
    const shown = summaries.filter((c) => !isOrganisation(c.conv)).map((c): ConversationRow => {
      const p = previews.get(c.conv)
      const unread = counts[c.conv] ?? 0
      return p ? { ...c, unread, activity: p.activity, ...(p.last ? { preview: p.last } : {}) } : { ...c, unread }
    })
    // Array.prototype.sort is stable: rows not read yet keep the engine's order, after the others.
    shown.sort((a, b) => (b.activity ?? -Infinity) - (a.activity ?? -Infinity))
    setRows(reconcile(shown, { key: 'conv' }))
  }

  const due = new Set<ConvId>()
  let timer: ReturnType<typeof setTimeout> | undefined
  const readDue = () => {
    timer = undefined
    const convs = [...due]
    due.clear()
    if (!messenger.identity) return
    for (const conv of convs) {
      messenger.preview(conv).then(
        (p) => {
          if (p) previews.set(conv, p)
          else previews.delete(conv)
          // The preview loaded the newest segment: the engine counts it now, with no event ([M56] bound).
          setCounts(conv, messenger.unread(conv))
          rebuild()
        },
        () => undefined, // a conversation that cannot be read shows no preview; opening it says why
      )
    }
  }
  const ask = (convs: Iterable<ConvId>) => {
    for (const conv of convs) due.add(conv)
    timer ??= setTimeout(readDue, SETTLE_MS)
  }

  return {
    rows: (): readonly ConversationRow[] => rows,
    /** The engine's list changed (or an identity was made): every row is read again. */
    setConversations(list: readonly ConversationSummary[]): void {
      summaries = list
      const known = new Set(list.map((c) => c.conv))
      for (const conv of previews.keys()) if (!known.has(conv)) previews.delete(conv)
      for (const conv of Object.keys(counts)) if (!known.has(conv as ConvId)) setCounts(conv, undefined)
      rebuild()
      ask(known)
    },
    /** [W24] The engine's `unread` event. */
    unreadChanged(conv: ConvId, count: number): void {
      if (counts[conv] === count) return
      setCounts(conv, count)
      rebuild()
    },
    /** [W24] A conversation's unread count (reactive), e.g. an organisation's own conversation. */
    unreadOf: (conv: ConvId): number => counts[conv] ?? 0,
    /** [W24] The sum over every conversation on this device (reactive). */
    unreadTotal: (): number => Object.values(counts).reduce<number>((n, c) => n + (c ?? 0), 0),
    /** A conversation's messages changed: its preview is read again. */
    changed(conv: ConvId): void {
      ask([conv])
    },
    dispose(): void {
      if (timer) clearTimeout(timer)
    },
  }
}

/** [W9] A row's one-line preview: "You: …" or "Name: …", files as "📎 name", a deleted message in words. */
export function previewLine(p: PreviewMessage): string {
  const who = p.mine ? 'You' : p.authorName
  if (p.deleted) return `${who}: Message deleted`
  const parts = [...p.files.map((name) => `📎 ${name}`), ...(p.text ? [p.text] : [])]
  return `${who}: ${parts.join(' ')}`
}
