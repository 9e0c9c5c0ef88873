import type { ConvId, DocId } from '../../../protocol/index.js'
import { documentId } from '../documents/docs.js'
import type { Key, LocalStore } from '../storage/LocalStore.js'

/**
 * [M71] Every record of one segment on this device: its Automerge chunks and marker, its sync
 * cursor and newest epoch, this device's queued changes, envelopes and chains for it, its
 * search index record, its entries' epochs, and the conversation's newest view ([M13a]). Idempotent: a drop cut short is run again from its tombstone.
 */
export async function eraseSegment(store: LocalStore, conv: ConvId, doc: DocId): Promise<void> {
  const prefixes: Key[] = [
    ['am', documentId(doc)], ['doc', doc],
    ['cursor', conv, doc], ['epoch-seen', conv, doc],
    ['out', 'raw', conv, doc], ['out', 'sealed', conv, doc], ['chain', conv, doc],
    ['search', conv, doc],
    // The epochs its entries were written under ([M26]; those recorded before segments were named stay).
    ['msg-epoch', conv, doc],
    // [M13a] The conversation's newest view may show its messages: it is saved again from the window.
    ['view', conv],
  ]
  for (const prefix of prefixes) await store.removeRange(prefix)
}
