import { randomBytes, toBase64Url } from '../../crypto/index.js'
import type { ConvId, DocId } from '../../protocol/index.js'

export function newConvId(): ConvId {
  return toBase64Url(randomBytes(16)) as ConvId
}
export function newDocId(): DocId {
  return toBase64Url(randomBytes(16)) as DocId
}
/** Message ids: 12 random bytes (16 characters); the tie-breaker of display order. */
export function newMessageId(): string {
  return toBase64Url(randomBytes(12))
}
