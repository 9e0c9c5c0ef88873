import MiniSearch, { type SearchResult } from 'minisearch'
import type { DeviceId } from '../../../protocol/index.js'
import { foldTerm, words } from './terms.js'

/** What the index keeps of a message: enough to show a hit without opening its document. */
export interface IndexedMessage {
  readonly id: string
  readonly ts: number
  readonly author: DeviceId
  readonly text: string
}

/** A message as it is indexed: its text, its author's name and its conversation's title, as they were then. */
export interface IndexInput extends IndexedMessage {
  readonly authorName: string
  readonly title: string
}

export interface SegmentMatch {
  readonly message: IndexedMessage
  readonly score: number
  /** The index terms the message matched (folded, [M51]). */
  readonly terms: readonly string[]
}

interface Doc { readonly id: string; readonly text: string; readonly author: string; readonly title: string }

/** [M51] One tokenizer and one folding for what is indexed and what is asked. */
const OPTIONS = { fields: ['text', 'author', 'title'], tokenize: words, processTerm: foldTerm }

/**
 * The search index of one segment's messages ([M53]: the unit that is built, saved and rebuilt).
 * Also keeps the messages' ids, times, authors and texts, with the names they were indexed under:
 * a hit is shown, the index compared with its document, and saved, without opening the document.
 */
export class SegmentIndex {
  private constructor(
    private readonly mini: MiniSearch<Doc>,
    private readonly messages: Map<string, IndexInput>,
  ) {}

  static empty(): SegmentIndex {
    return new SegmentIndex(new MiniSearch<Doc>(OPTIONS), new Map())
  }

  /**
   * [M53] A saved segment's index, built again from its messages as they were indexed: about 5×
   * faster than MiniSearch's own JSON to load, and far cheaper to save (the whole index as JSON,
   * written about every second while messages arrived, held the engine up for tens of ms each
   * time). Throws when a message id is there twice.
   */
  static of(messages: readonly IndexInput[]): SegmentIndex {
    const index = SegmentIndex.empty()
    for (const m of messages) {
      if (index.has(m.id)) throw new Error(`message ${m.id} twice`)
      index.put(m)
    }
    return index
  }

  get size(): number {
    return this.messages.size
  }

  has(id: string): boolean {
    return this.messages.has(id)
  }

  get(id: string): IndexedMessage | undefined {
    return this.messages.get(id)
  }

  ids(): IterableIterator<string> {
    return this.messages.keys()
  }

  /** Adds a message, or re-indexes it when its text changed (an edit); returns whether anything changed. */
  put(m: IndexInput): boolean {
    const had = this.messages.get(m.id)
    if (had && had.text === m.text) return false
    if (had) this.mini.discard(m.id)
    this.mini.add({ id: m.id, text: m.text, author: m.authorName, title: m.title })
    this.messages.set(m.id, { id: m.id, ts: m.ts, author: m.author, text: m.text, authorName: m.authorName, title: m.title })
    return true
  }

  remove(id: string): boolean {
    if (!this.messages.delete(id)) return false
    this.mini.discard(id)
    return true
  }

  /**
   * Messages with every term (AND); the last one also as a prefix while it is being typed.
   * Fuzzy for words of five letters or more without digits: one letter wrong still finds them (a
   * number, a plate or a code is matched as written).
   */
  search(terms: readonly string[], prefixLast: boolean): SegmentMatch[] {
    if (!terms.length || !this.messages.size) return []
    const results: SearchResult[] = this.mini.search(terms.join(' '), {
      combineWith: 'AND',
      prefix: (_t, i, all) => prefixLast && i === all.length - 1,
      fuzzy: (t) => (t.length >= 5 && !/\p{N}/u.test(t) ? 0.2 : false),
      boost: { text: 2, author: 1, title: 0.5 },
    })
    return results.flatMap((r) => {
      const message = this.messages.get(String(r.id))
      return message ? [{ message, score: r.score, terms: r.terms }] : []
    })
  }

  /** The messages as indexed (with the names they were indexed under): what a record saves. */
  list(): IndexInput[] {
    return [...this.messages.values()]
  }
}
