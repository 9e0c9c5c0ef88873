import { toBase64Url } from '../crypto/verify.js'

/** A subscriber: one socket's interest in one (conversation, document). */
export interface Subscriber {
  /** Called with envelopes appended to the document after the subscriber's backlog. */
  deliver(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[]): void
  /**
   * [S21] Called instead of `deliver` on the subscriber whose own push these are: it has them
   * already, and may move its cursor past them.
   */
  pushed?(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[]): void
}

export const subscriptionKey = (conv: Uint8Array, doc: Uint8Array): string => toBase64Url(conv) + toBase64Url(doc)

/**
 * Fan-out registry keyed by (conversation, document), so a document id reused under another
 * conversation never reaches this one's subscribers. Holds no envelope beyond the call.
 */
export class Hub {
  private readonly byKey = new Map<string, Set<Subscriber>>()

  add(conv: Uint8Array, doc: Uint8Array, sub: Subscriber): void {
    const key = subscriptionKey(conv, doc)
    let set = this.byKey.get(key)
    if (!set) this.byKey.set(key, (set = new Set()))
    set.add(sub)
  }

  remove(key: string, sub: Subscriber): void {
    const set = this.byKey.get(key)
    set?.delete(sub)
    if (set?.size === 0) this.byKey.delete(key)
  }

  publish(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[], except?: Subscriber): void {
    const set = this.byKey.get(subscriptionKey(conv, doc))
    if (!set) return
    for (const sub of set) if (sub !== except) sub.deliver(conv, doc, items)
    except?.pushed?.(conv, doc, items)
  }

  /** Whether any subscriber on this instance follows (conv, doc): notices for others are not read ([S21]). */
  has(conv: Uint8Array, doc: Uint8Array): boolean {
    return this.byKey.has(subscriptionKey(conv, doc))
  }

  get documents(): number {
    return this.byKey.size
  }
}
