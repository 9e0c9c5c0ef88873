import * as A from '@automerge/automerge'
import { afterEach, expect, test } from 'vitest'
import { DocStore } from '../../client/core/documents/docs.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { docIdOf } from '../../protocol/index.js'

/**
 * A document's first changes can arrive with a gap (another writer's change they depend on comes
 * later, as under reordered delivery): nothing of them applies yet, the document reads as absent
 * (no throw), and it appears whole once the missing change arrives.
 */
const stores: DocStore[] = []
afterEach(async () => {
  for (const d of stores.splice(0)) await d.shutdown()
})

test('a document whose first changes have a gap reads as absent, then whole once the gap is filled', async () => {
  const docs = new DocStore(createMemoryStore(), 'ab'.repeat(16))
  stores.push(docs)
  const id = docIdOf(new Uint8Array(16).fill(7))
  const one = A.change(A.init<Record<string, number>>({ actor: 'cd'.repeat(16) as A.ActorId }), (d) => void (d['s:0'] = 1))
  const two = A.change(A.clone(one, { actor: 'ef'.repeat(16) as A.ActorId }), (d) => void (d['s:1'] = 2))
  await docs.apply(id, [A.getLastLocalChange(two)!])
  await expect(docs.doc(id)).resolves.toBeUndefined()
  await docs.apply(id, [A.getLastLocalChange(one)!])
  expect(await docs.doc<Record<string, number>>(id)).toEqual({ 's:0': 1, 's:1': 2 })
})
