import type { ConvId, DocId } from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import type { Outbox } from './outbox.js'
import type { Registry } from '../conversations/registry.js'

export interface RecoverDeps {
  readonly registry: Registry
  readonly outbox: Outbox
  readonly docs: DocStore
  readonly convOfDoc: Map<DocId, ConvId>
}

/**
 * The outbox is the durability point; the document is saved a moment later. After a crash,
 * queued changes may be newer than the saved document: apply them again (idempotent).
 */
export async function recoverOutbox(conv: ConvId, deps: RecoverDeps): Promise<void> {
  for (const doc of deps.outbox.pendingDocs(conv)) {
    deps.convOfDoc.set(doc, conv)
    const changes = [...deps.outbox.sealed(conv, doc), ...deps.outbox.raw(conv, doc)].flatMap((r) => r.changes)
    if (changes.length) await deps.docs.apply(doc, changes)
  }
}
