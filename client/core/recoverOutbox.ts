import { openEnvelope } from '../../crypto/index.js'
import { idBytes, type ConvId, type DocId } from '../../protocol/index.js'
import type { DocStore } from './docs.js'
import type { Outbox } from './outbox.js'
import { decodeChanges } from './payload.js'
import type { Registry } from './registry.js'

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
  const rec = deps.registry.get(conv)!
  for (const doc of deps.outbox.pendingDocs(conv)) {
    deps.convOfDoc.set(doc, conv)
    const changes = deps.outbox.raw(conv, doc).flatMap((r) => r.changes)
    const ctx = { conv: idBytes(conv), doc: idBytes(doc), keyFor: (epoch: number) => rec.keys.get(epoch) }
    for (const sealed of deps.outbox.sealed(conv, doc)) {
      const opened = await openEnvelope(sealed.env, ctx)
      const batch = opened.ok ? decodeChanges(opened.value.payload) : undefined
      if (batch) changes.push(...batch)
    }
    if (changes.length) await deps.docs.apply(doc, changes)
  }
}
