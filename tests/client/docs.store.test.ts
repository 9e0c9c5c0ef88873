import * as A from '@automerge/automerge'
import { afterEach, expect, test } from 'vitest'
import { DocStore, documentId } from '../../client/core/documents/docs.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore, WriteOp } from '../../client/core/storage/LocalStore.js'
import { docIdOf, type DocId } from '../../protocol/index.js'

/**
 * [M3a] The DocStore holds each document once, whoever asks first, and saves it in the chunks
 * automerge-repo's storage wrote: documents stored by earlier versions load, a reload reads what
 * was written, and compaction replaces chunks in one atomic write.
 */
type Doc = Record<string, number>
const ME = 'ab'.repeat(16)
const stores: DocStore[] = []
afterEach(async () => {
  for (const d of stores.splice(0)) await d.shutdown()
})
const open = (store: LocalStore, actor = ME) => {
  const docs = new DocStore(store, actor)
  stores.push(docs)
  return docs
}
const remote = (actor: string, key: string, value: number) => A.getLastLocalChange(A.change(A.init<Doc>({ actor: actor as A.ActorId }), (d) => void (d[key] = value)))!
let n = 0
const freshId = (): DocId => docIdOf(new Uint8Array(16).fill(++n))

test('two frames for a new document handled at once: the second adds to what the first created', async () => {
  const docs = open(createMemoryStore())
  const id = freshId()
  await Promise.all([docs.apply(id, [remote('cd'.repeat(16), 'a', 1)]), docs.apply(id, [remote('ef'.repeat(16), 'b', 2)])])
  expect(await docs.doc<Doc>(id)).toEqual({ a: 1, b: 2 })
})

test('a local write and a frame for a new document at once: both kept, both saved', async () => {
  const store = createMemoryStore()
  const docs = open(store)
  const id = freshId()
  const [mine] = await Promise.all([docs.change<Doc>(id, [(d) => void (d.mine = 1)]), docs.apply(id, [remote('cd'.repeat(16), 'theirs', 2)])])
  expect(mine).toHaveLength(1)
  expect(await docs.doc<Doc>(id)).toEqual({ mine: 1, theirs: 2 })
  await docs.flush([id])
  expect(await open(store).doc<Doc>(id)).toEqual({ mine: 1, theirs: 2 })
})

test('documents stored as automerge-repo stored them (a snapshot, then incremental chunks) load, and take this device actor', async () => {
  const store = createMemoryStore()
  const id = freshId()
  let doc = A.change(A.init<Doc>({ actor: 'cd'.repeat(16) as A.ActorId }), (d) => void (d.a = 1))
  const snapshot = A.save(doc)
  const heads = A.getHeads(doc)
  doc = A.change(doc, (d) => void (d.b = 2))
  const did = documentId(id)
  await store.write([
    { key: ['doc', id], value: new Uint8Array([1]) },
    { key: ['am', did, 'snapshot', 'f00'], value: snapshot },
    { key: ['am', did, 'incremental', '0ab'], value: A.saveSince(doc, heads) },
  ])
  const docs = open(store)
  expect(await docs.doc<Doc>(id)).toEqual({ a: 1, b: 2 })
  const [change] = await docs.change<Doc>(id, [(d) => void (d.c = 3)])
  expect(A.decodeChange(change!).actor).toBe(ME)
})

test('saves: incremental chunks, then a snapshot that replaces them all in one write; a reload reads every change', async () => {
  const inner = createMemoryStore()
  const writes: (readonly WriteOp[])[] = []
  const store: LocalStore = { ...inner, write: (ops) => (writes.push(ops), inner.write(ops)) }
  const docs = open(store)
  const id = freshId()
  const did = documentId(id)
  // Large enough that the first snapshot is over 1 KiB: later saves are incremental until they outweigh it.
  await docs.change<Record<string, Uint8Array>>(id, [(d) => void (d.big = crypto.getRandomValues(new Uint8Array(4000)))])
  await docs.flush([id])
  expect(writes[0]!.map((w) => w.key[0])).toEqual(['doc', 'am']) // the marker goes with the first chunk
  for (let i = 0; i < 80; i++) {
    await docs.change<Doc>(id, [(d) => void (d[`k${i}`] = i)])
    await docs.flush([id])
  }
  expect((await inner.range(['am', did, 'snapshot'])).length).toBe(1)
  expect(writes.filter((ops) => ops.some((o) => o.key[2] === 'incremental')).length).toBeGreaterThan(10)
  const compactions = writes.filter((ops) => ops.some((o) => o.key[2] === 'snapshot') && ops.some((o) => o.value === undefined))
  expect(compactions.length).toBeGreaterThan(0)
  const again = await open(inner).doc<Doc>(id)
  expect(Object.keys(again!)).toHaveLength(81)
  expect(again!.k79).toBe(79)
})

test('a failed save is reported by flush and tried again: nothing is lost', async () => {
  const inner = createMemoryStore()
  let fail = true
  const store: LocalStore = { ...inner, write: (ops) => (fail ? Promise.reject(new Error('disk full')) : inner.write(ops)) }
  const docs = open(store)
  const id = freshId()
  await docs.change<Doc>(id, [(d) => void (d.a = 1)])
  await expect(docs.flush([id])).rejects.toThrow('disk full')
  fail = false
  await docs.flush([id])
  expect(await open(inner).doc<Doc>(id)).toEqual({ a: 1 })
})

test('a forgotten (dropped) document is not saved by a save scheduled before', async () => {
  const store = createMemoryStore()
  const docs = open(store)
  const id = freshId()
  await docs.change<Doc>(id, [(d) => void (d.a = 1)])
  await docs.forget(id)
  await new Promise((r) => setTimeout(r, 250))
  expect(await store.range(['am', documentId(id)])).toEqual([])
})
