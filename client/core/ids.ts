import { conversationIdOf, randomBytes, toBase64Url } from '../../crypto/index.js'
import type { ConvId, DocId } from '../../protocol/index.js'

export function newConvId(): ConvId {
  return toBase64Url(randomBytes(16)) as ConvId
}
/** A new conversation's id, bound to its creator device by a random origin (crypto [K6]). */
export function newConversationId(creator: Uint8Array): { conv: ConvId; origin: Uint8Array } {
  const origin = randomBytes(16)
  return { conv: toBase64Url(conversationIdOf(creator, origin)) as ConvId, origin }
}
export function newDocId(): DocId {
  return toBase64Url(randomBytes(16)) as DocId
}
/** Message ids: 12 random bytes (16 characters); the tie-breaker of display order. */
export function newMessageId(): string {
  return toBase64Url(randomBytes(12))
}
