import { parseDocId, type DocId } from '../../../protocol/index.js'

declare const brand: unique symbol
/**
 * [M15] A message's name across its whole conversation: `<segment doc id>.<counter>@<actor>`.
 * The object id alone (`counter@actor`) is unique only within one segment document: every
 * segment starts counting again, so a device's ninth message can carry the id of its fourth
 * one segment earlier. The segment is named by its document id, not its index, because each
 * generation of a conversation ([M24]) numbers its segments from 0 again.
 */
export type MessageRef = string & { readonly [brand]: 'MessageRef' }

/** Message object ids: `counter@actor`, the actor a device key (64 hex). */
export const OBJECT_ID = /^[1-9][0-9]{0,15}@[0-9a-f]{64}$/
const REF = /^([A-Za-z0-9_-]{22})\.([1-9][0-9]{0,15}@[0-9a-f]{64})$/

export function refOf(segment: DocId, id: string): MessageRef {
  return `${segment}.${id}` as MessageRef
}

/** A ref as the API and the CLI take it; undefined for anything else (a bare object id too). */
export function parseMessageRef(s: unknown): { ref: MessageRef; segment: DocId; id: string } | undefined {
  const m = typeof s === 'string' ? REF.exec(s) : null
  const segment = m ? parseDocId(m[1]) : undefined
  return m && segment ? { ref: s as MessageRef, segment, id: m[2]! } : undefined
}
