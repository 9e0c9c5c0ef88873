import * as A from '@automerge/automerge'
import { expect, test } from 'vitest'
import { checkChanges } from '../../client/core/documents/writeRules.js'
import { docIdOf } from '../../protocol/index.js'
import { DocStore } from '../../client/core/documents/docs.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'

/**
 * [M20] A writer reads its messages' ids from the objects its change creates, in the document it
 * leaves (messageLog.ts `commit`); every receiver reads them from the change's ops (writeRules.ts). They must be the
 * same ids, for runs of messages with files and mentions.
 */
test('the ids a writer reads as it makes a run are the ids every receiver reads from the change', async () => {
  const actor = 'ab'.repeat(32)
  const genesis = A.getLastLocalChange(A.change(A.init<{ messages: unknown[] }>({ actor: '00'.repeat(16) as A.ActorId }), (d) => void (d.messages = [])))!
  const docs = new DocStore(createMemoryStore(), actor, () => genesis)
  const id = docIdOf(new Uint8Array(16).fill(3))
  for (const run of [1, 3, 256]) {
    let at = 0
    let ids: string[] = []
    const changes = await docs.change<{ messages: Record<string, unknown>[] }>(id, [(d) => {
      at = d.messages.length
      d.messages.push(...Array.from({ length: run }, (_, i) => ({ id: new A.ImmutableString(`t${i}`), ts: i, text: new A.ImmutableString('hi'), files: [{ name: new A.ImmutableString('a.pdf'), size: 3 }], mentions: [new A.ImmutableString('x')] })))
    }], undefined, (doc) => (ids = doc.messages.slice(at).map((m) => A.getObjectId(m) ?? '')))
    const verdict = checkChanges(changes, actor, 'segment')
    expect(verdict.ok).toBe(true)
    expect(ids).toEqual(verdict.ok ? verdict.created : [])
  }
  await docs.shutdown()
})
