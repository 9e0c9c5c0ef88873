import { describe, expect, test } from 'vitest'
import {
  EnvelopeAuthors, ZERO_HASH, bytesEqual, generateDeviceKeys, generateEpochKey, hashOfEnvelope, openEnvelope, randomBytes, splitEnvelope,
  type EnvelopeHash,
} from '../../crypto/index.js'
import { idBytes, type ConvId, type DocId } from '../../protocol/index.js'
import { newConvId, newDocId } from '../../client/core/ids.js'
import { Outbox } from '../../client/core/outbox/outbox.js'
import { decodeChanges } from '../../client/core/documents/payload.js'
import type { Key, LocalStore, WriteOp } from '../../client/core/storage/LocalStore.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'

/** [M5]–[M8]: alice's outbox, against a memory store the test can look into. */
interface Recorded extends LocalStore {
  readonly writes: WriteOp[][]
  failNextWrite: boolean
}

function recordingStore(inner: LocalStore = createMemoryStore()): Recorded {
  const store: Recorded = {
    writes: [],
    failNextWrite: false,
    get: (key) => inner.get(key),
    range: (prefix) => inner.range(prefix),
    removeRange: (prefix) => inner.removeRange(prefix),
    close: () => inner.close(),
    async write(ops) {
      if (store.failNextWrite) {
        store.failNextWrite = false
        throw new Error('disk full')
      }
      store.writes.push([...ops])
      await inner.write(ops)
    },
  }
  return store
}

function world() {
  const alice = generateDeviceKeys()
  return { conv: newConvId(), doc: newDocId(), key: generateEpochKey(), authors: new EnvelopeAuthors(alice.signSecret), alice }
}

const change = (n: number, size = 20) => Uint8Array.from({ length: size }, (_, i) => (n * 7 + i) & 0xff)
const keysUnder = async (store: LocalStore, prefix: Key) => (await store.range(prefix)).map((e) => e.key.join('/'))

/** Header fields and the [E4] hash of every sealed envelope of a document, in queue order. */
function chainOf(outbox: Outbox, conv: ConvId, doc: DocId) {
  return outbox.sealed(conv, doc).map((s) => {
    const parts = splitEnvelope(s.env)!
    return { recSeq: s.seq, seq: parts.header.seq, prev: parts.header.prev, hash: hashOfEnvelope(parts), epoch: parts.header.epoch, msgIds: s.msgIds }
  })
}

function expectLinked(links: { seq: number; prev: EnvelopeHash; hash: EnvelopeHash; recSeq: number }[], firstSeq = 1, firstPrev: EnvelopeHash = ZERO_HASH) {
  links.forEach((l, i) => {
    expect(l.seq).toBe(firstSeq + i)
    expect(l.recSeq).toBe(l.seq)
    expect(bytesEqual(l.prev, i === 0 ? firstPrev : links[i - 1]!.hash), `prev of seq ${l.seq}`).toBe(true)
  })
}

describe('Outbox', () => {
  test('[M5] add writes the raw record to storage before it resolves', async () => {
    const w = world()
    const store = recordingStore()
    const outbox = new Outbox(store)
    await outbox.load()
    await outbox.add(w.conv, w.doc, [change(1)], ['m1'])
    expect(store.writes).toHaveLength(1)
    expect(await keysUnder(store, ['out', 'raw', w.conv, w.doc])).toHaveLength(1)
    expect(outbox.raw(w.conv, w.doc).map((r) => r.msgIds)).toEqual([['m1']])
    expect(outbox.pendingDocs(w.conv)).toEqual([w.doc])
  })

  test('[M71] a change that reaches add after its segment was dropped is refused: nothing queued, nothing written, other documents go on', async () => {
    const w = world()
    const store = recordingStore()
    const dropped = new Set<string>()
    const outbox = new Outbox(store, (doc) => dropped.has(doc))
    await outbox.load()
    await outbox.add(w.conv, w.doc, [change(1)], ['m1'])
    dropped.add(w.doc)
    expect(await outbox.dropDoc(w.conv, w.doc)).toEqual(['m1'])
    const writes = store.writes.length
    await expect(outbox.add(w.conv, w.doc, [change(2)], ['m2'])).rejects.toThrow('document dropped')
    expect(store.writes).toHaveLength(writes)
    expect(outbox.pendingDocs(w.conv)).toEqual([])
    const other = 'other-doc' as typeof w.doc
    await outbox.add(w.conv, other, [change(3)], ['m3'])
    expect(outbox.pendingDocs(w.conv)).toEqual([other])
  })

  test('[M5] a failed write rejects add and queues nothing', async () => {
    const w = world()
    const store = recordingStore()
    const outbox = new Outbox(store)
    store.failNextWrite = true
    await expect(outbox.add(w.conv, w.doc, [change(1)], ['m1'])).rejects.toThrow('disk full')
    expect(outbox.raw(w.conv, w.doc)).toEqual([])
    expect(outbox.pendingMessageIds()).toEqual([])
  })

  test('[M7] seal assigns seq 1..n, each prev the [E4] hash of the one before, under the given epoch', async () => {
    const w = world()
    const outbox = new Outbox(createMemoryStore())
    for (let i = 1; i <= 4; i++) {
      await outbox.add(w.conv, w.doc, [change(i)], [`m${i}`])
      await outbox.seal(w.conv, w.doc, 3, w.key, w.authors)
    }
    const links = chainOf(outbox, w.conv, w.doc)
    expect(links.map((l) => l.seq)).toEqual([1, 2, 3, 4])
    expectLinked(links)
    expect(links.every((l) => l.epoch === 3)).toBe(true)
    expect(links.map((l) => l.msgIds)).toEqual([['m1'], ['m2'], ['m3'], ['m4']])
  })

  test('[M7] one seal batches every raw record into one envelope, oldest first; oversized batches split and still chain', async () => {
    const w = world()
    const outbox = new Outbox(createMemoryStore())
    await outbox.add(w.conv, w.doc, [change(1), change(2)], ['m1'])
    await outbox.add(w.conv, w.doc, [change(3)], ['m2'])
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    const [one] = outbox.sealed(w.conv, w.doc)
    const opened = await openEnvelope(one!.env, { conv: idBytes(w.conv), doc: idBytes(w.doc), keyFor: () => w.key })
    expect(opened.ok && decodeChanges(opened.value.payload)).toEqual([change(1), change(2), change(3)])
    expect(one!.msgIds).toEqual(['m1', 'm2'])

    // Three 300 KiB records exceed the 512 KiB batch limit: three envelopes, seq 2..4.
    for (let i = 0; i < 3; i++) await outbox.add(w.conv, w.doc, [change(10 + i, 300 * 1024)], [`big${i}`])
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    const links = chainOf(outbox, w.conv, w.doc)
    expect(links.map((l) => l.seq)).toEqual([1, 2, 3, 4])
    expectLinked(links)
    expect(links.slice(1).map((l) => l.msgIds)).toEqual([['big0'], ['big1'], ['big2']])
  })

  test('[M7] seal is one atomic write: raw records removed, envelopes and chain written together', async () => {
    const w = world()
    const store = recordingStore()
    const outbox = new Outbox(store)
    await outbox.add(w.conv, w.doc, [change(1)], ['m1'])
    await outbox.add(w.conv, w.doc, [change(2)], ['m2'])
    const rawKeys = await keysUnder(store, ['out', 'raw'])
    store.writes.length = 0
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    expect(store.writes).toHaveLength(1)
    const [ops] = store.writes
    expect(ops!.filter((o) => o.value === undefined).map((o) => o.key.join('/')).sort()).toEqual(rawKeys.sort())
    expect(ops!.filter((o) => o.value !== undefined).map((o) => o.key.join('/'))).toEqual([
      `out/sealed/${w.conv}/${w.doc}/0000000000000001`,
      `chain/${w.conv}/${w.doc}/0000000000000000`,
    ])
    expect(await keysUnder(store, ['out', 'raw'])).toEqual([])
    expect(await keysUnder(store, ['out', 'sealed'])).toEqual([`out/sealed/${w.conv}/${w.doc}/0000000000000001`])
  })

  test('[M7] a failed seal write changes nothing: the next seal starts again at seq 1 with the same records', async () => {
    const w = world()
    const store = recordingStore()
    const outbox = new Outbox(store)
    await outbox.add(w.conv, w.doc, [change(1)], ['m1'])
    store.failNextWrite = true
    await expect(outbox.seal(w.conv, w.doc, 0, w.key, w.authors)).rejects.toThrow('disk full')
    expect(outbox.raw(w.conv, w.doc)).toHaveLength(1)
    expect(outbox.sealed(w.conv, w.doc)).toEqual([])
    expect(await keysUnder(store, ['chain'])).toEqual([])
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    expect(chainOf(outbox, w.conv, w.doc).map((l) => [l.seq, l.msgIds])).toEqual([[1, ['m1']]])
  })

  test('[M6] sealing happens at push time: records added under one epoch are sealed under the epoch current then', async () => {
    const w = world()
    const outbox = new Outbox(createMemoryStore())
    await outbox.add(w.conv, w.doc, [change(1)], ['m1'])
    const newKey = generateEpochKey() // the conversation rotated while alice was offline
    await outbox.seal(w.conv, w.doc, 1, newKey, w.authors)
    const [env] = outbox.sealed(w.conv, w.doc)
    expect(splitEnvelope(env!.env)!.header.epoch).toBe(1)
    const opened = await openEnvelope(env!.env, { conv: idBytes(w.conv), doc: idBytes(w.doc), keyFor: (e) => (e === 1 ? newKey : undefined) })
    expect(opened.ok).toBe(true)
  })

  test('[M7] documents have independent chains; sealing with nothing raw does nothing', async () => {
    const w = world()
    const other = newDocId()
    const store = recordingStore()
    const outbox = new Outbox(store)
    await outbox.add(w.conv, w.doc, [change(1)], ['a'])
    await outbox.add(w.conv, other, [change(2)], ['b'])
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    await outbox.seal(w.conv, other, 0, w.key, w.authors)
    const writes = store.writes.length
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    expect(store.writes.length).toBe(writes)
    expect(chainOf(outbox, w.conv, w.doc).map((l) => l.seq)).toEqual([1])
    expect(chainOf(outbox, w.conv, other).map((l) => l.seq)).toEqual([1])
    expect(outbox.pendingDocs(w.conv).sort()).toEqual([w.doc, other].sort())
  })

  test('[M8] acked removes exactly the acknowledged envelopes and returns their message ids', async () => {
    const w = world()
    const store = createMemoryStore()
    const outbox = new Outbox(store)
    for (let i = 1; i <= 3; i++) {
      await outbox.add(w.conv, w.doc, [change(i)], [`m${i}`])
      await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    }
    expect(await outbox.acked([{ conv: w.conv, doc: w.doc, seq: 2 }])).toEqual(['m2'])
    expect(outbox.sealed(w.conv, w.doc).map((s) => s.seq)).toEqual([1, 3])
    expect((await keysUnder(store, ['out', 'sealed'])).map((k) => k.split('/').pop())).toEqual(['0000000000000001', '0000000000000003'])
    // An ack for something not (or no longer) queued is ignored: duplicates are harmless.
    expect(await outbox.acked([{ conv: w.conv, doc: w.doc, seq: 2 }, { conv: w.conv, doc: newDocId(), seq: 1 }])).toEqual([])
    expect(outbox.pendingMessageIds().sort()).toEqual(['m1', 'm3'])
  })

  test('[M8] pending message ids cover raw and sealed records across conversations until acked', async () => {
    const w = world()
    const conv2 = newConvId()
    const outbox = new Outbox(createMemoryStore())
    await outbox.add(w.conv, w.doc, [change(1)], ['m1', 'm2'])
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    await outbox.add(w.conv, w.doc, [change(2)], ['m3'])
    await outbox.add(conv2, w.doc, [change(3)], ['m4'])
    await outbox.add(conv2, newDocId(), [change(4)], []) // a root change carries no message
    expect(outbox.pendingMessageIds().sort()).toEqual(['m1', 'm2', 'm3', 'm4'])
    await outbox.acked([{ conv: w.conv, doc: w.doc, seq: 1 }])
    expect(outbox.pendingMessageIds().sort()).toEqual(['m3', 'm4'])
  })

  test('[M5] [M7] reload: a new Outbox on the same store restores raw, sealed and the chain head', async () => {
    const w = world()
    const store = createMemoryStore()
    const before = new Outbox(store)
    await before.add(w.conv, w.doc, [change(1)], ['m1'])
    await before.seal(w.conv, w.doc, 0, w.key, w.authors)
    await before.add(w.conv, w.doc, [change(2)], ['m2'])
    await before.seal(w.conv, w.doc, 0, w.key, w.authors)
    await before.acked([{ conv: w.conv, doc: w.doc, seq: 1 }])
    await before.add(w.conv, w.doc, [change(3)], ['m3'])
    await before.add(w.conv, w.doc, [change(4)], ['m4'])

    const after = new Outbox(store)
    await after.load()
    expect(after.corrupt).toEqual([])
    // m4 joined m3's record ([M5]): one record holds both, in order.
    expect(after.raw(w.conv, w.doc).map((r) => [r.changes, r.msgIds])).toEqual([[[change(3), change(4)], ['m3', 'm4']]])
    expect(after.sealed(w.conv, w.doc).map((s) => s.seq)).toEqual([2])
    expect(after.sealed(w.conv, w.doc)[0]!.env).toEqual(before.sealed(w.conv, w.doc)[0]!.env)
    expect(after.pendingMessageIds().sort()).toEqual(['m2', 'm3', 'm4'])
    expect(after.pendingDocs(w.conv)).toEqual([w.doc])

    // The chain continues where it stopped: seq 3, prev = hash of seq 2.
    await after.seal(w.conv, w.doc, 0, w.key, w.authors)
    const links = chainOf(after, w.conv, w.doc)
    expect(links.map((l) => l.seq)).toEqual([2, 3])
    expectLinked(links, 2, links[0]!.prev)
  })

  test('[M3] [M7] a corrupt chain record is reported and makes seal refuse rather than restart at seq 1', async () => {
    const w = world()
    const store = createMemoryStore()
    const before = new Outbox(store)
    await before.add(w.conv, w.doc, [change(1)], ['m1'])
    await before.seal(w.conv, w.doc, 0, w.key, w.authors)
    await before.acked([{ conv: w.conv, doc: w.doc, seq: 1 }])
    const garbage = randomBytes(40)
    await store.write([{ key: ['chain', w.conv, w.doc, '0000000000000000'], value: garbage }])

    const after = new Outbox(store)
    await after.load()
    // Nothing of that document waits: its chain records are read when it is next sealed.
    expect(after.corrupt).toEqual([])
    await after.add(w.conv, w.doc, [change(2)], ['m2'])
    await expect(after.seal(w.conv, w.doc, 0, w.key, w.authors)).rejects.toThrow(/chain record corrupt/)
    expect(after.corrupt).toEqual([`chain/${w.conv}/${w.doc}/0000000000000000`])
    expect(after.sealed(w.conv, w.doc)).toEqual([])
    expect(after.raw(w.conv, w.doc)).toHaveLength(1) // the message stays queued, nothing lost
    expect(await store.get(['chain', w.conv, w.doc, '0000000000000000'])).toEqual(garbage) // set aside, not overwritten
  })

  test('[M3] a corrupt chain record of a document with messages waiting is reported at load', async () => {
    const w = world()
    const store = createMemoryStore()
    const before = new Outbox(store)
    await before.add(w.conv, w.doc, [change(1)], ['m1'])
    await before.seal(w.conv, w.doc, 0, w.key, w.authors)
    await store.write([{ key: ['chain', w.conv, w.doc, '0000000000000000'], value: randomBytes(40) }])
    const after = new Outbox(store)
    await after.load()
    expect(after.corrupt).toEqual([`chain/${w.conv}/${w.doc}/0000000000000000`])
  })

  test('[M3] opening reads no chain record of a document with nothing waiting; sealing it reads them and continues its chain', async () => {
    const w = world()
    const store = createMemoryStore()
    const before = new Outbox(store)
    await before.add(w.conv, w.doc, [change(1)], ['m1'])
    await before.seal(w.conv, w.doc, 0, w.key, w.authors)
    await before.acked([{ conv: w.conv, doc: w.doc, seq: 1 }])
    const head = before.chain(w.conv, w.doc, 0)!
    const ranges: string[] = []
    const counting = { ...store, range: (prefix: string[]) => (ranges.push(prefix.join('/')), store.range(prefix)) }
    const after = new Outbox(counting)
    await after.load()
    expect(ranges.filter((r) => r.startsWith('chain'))).toEqual([])
    await after.add(w.conv, w.doc, [change(2)], ['m2'])
    await after.seal(w.conv, w.doc, 0, w.key, w.authors)
    expect(ranges.filter((r) => r.startsWith('chain'))).toEqual([`chain/${w.conv}/${w.doc}`])
    // seq 2 after seq 1, linked to it: never a restart at 1.
    expect(after.sealed(w.conv, w.doc).map((r) => r.seq)).toEqual([2])
    expect(after.chain(w.conv, w.doc, 0)!.seq).toBe(2)
    expect(after.chain(w.conv, w.doc, 0)!.prev).not.toEqual(head.prev)
  })

  test('[M3] corrupt raw and sealed records are reported, kept in storage, and the rest loads', async () => {
    const w = world()
    const store = createMemoryStore()
    const before = new Outbox(store)
    // 16 KiB: the next change does not join this record, so each can be broken alone.
    await before.add(w.conv, w.doc, [change(1, 16 * 1024)], ['m1'])
    await before.add(w.conv, w.doc, [change(2)], ['m2'])
    const [raw1] = await store.range(['out', 'raw'])
    await store.write([
      { key: raw1!.key, value: Uint8Array.of(0xff, 0x00) },
      { key: ['out', 'sealed', w.conv, w.doc, '0000000000000009'], value: randomBytes(10) },
    ])
    const after = new Outbox(store)
    await after.load()
    expect(after.corrupt.sort()).toEqual([raw1!.key.join('/'), `out/sealed/${w.conv}/${w.doc}/0000000000000009`].sort())
    expect(after.raw(w.conv, w.doc).map((r) => r.msgIds)).toEqual([['m2']])
    expect(await store.get(raw1!.key)).toEqual(Uint8Array.of(0xff, 0x00))
  })

  test('[M5] small changes join the last raw record (32 changes or 16 KiB at most), in order, and reload as written', async () => {
    const w = world()
    const store = createMemoryStore()
    const outbox = new Outbox(store)
    for (let i = 0; i < 70; i++) await outbox.add(w.conv, w.doc, [change(i)], [`m${i}`])
    expect(await keysUnder(store, ['out', 'raw', w.conv, w.doc])).toHaveLength(3)
    expect(outbox.raw(w.conv, w.doc).map((r) => r.changes.length)).toEqual([32, 32, 6])
    // A big change starts its own record; the one after it does not join a record over the byte limit.
    await outbox.add(w.conv, w.doc, [change(100, 15 * 1024)], ['big'])
    await outbox.add(w.conv, w.doc, [change(101, 2 * 1024)], ['after'])
    expect(outbox.raw(w.conv, w.doc).map((r) => r.msgIds.at(-1))).toEqual(['m31', 'm63', 'big', 'after'])
    const after = new Outbox(store)
    await after.load()
    expect(after.raw(w.conv, w.doc).flatMap((r) => r.msgIds)).toEqual([...Array.from({ length: 70 }, (_, i) => `m${i}`), 'big', 'after'])
    expect(after.raw(w.conv, w.doc).flatMap((r) => r.changes)).toEqual(outbox.raw(w.conv, w.doc).flatMap((r) => r.changes))
    // A record in storage changes by one atomic put: nothing half-merged can be read.
    await after.seal(w.conv, w.doc, 0, w.key, w.authors)
    const opened = await openEnvelope(after.sealed(w.conv, w.doc)[0]!.env, { conv: idBytes(w.conv), doc: idBytes(w.doc), keyFor: () => w.key })
    expect(opened.ok && decodeChanges(opened.value.payload)?.length).toBe(72)
  })

  test('[M5] [M7] adds racing a seal (not awaited, on a store that yields) lose nothing and seal nothing twice', async () => {
    const w = world()
    const inner = createMemoryStore()
    // A store that takes its time, so every call overlaps the next if the outbox let it.
    const slow: LocalStore = { ...inner, write: async (ops) => { await new Promise((r) => setTimeout(r, 1)); await inner.write(ops) } }
    const outbox = new Outbox(slow)
    const pending: Promise<unknown>[] = []
    for (let i = 0; i < 40; i++) {
      pending.push(outbox.add(w.conv, w.doc, [change(i)], [`m${i}`]))
      if (i % 7 === 3) pending.push(outbox.seal(w.conv, w.doc, 0, w.key, w.authors))
      if (i % 11 === 5) pending.push(outbox.acked([{ conv: w.conv, doc: w.doc, seq: 1 }]))
      // Let some of them reach the store, so later calls start while earlier ones are halfway.
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, i % 3))
    }
    await Promise.all(pending)
    await outbox.seal(w.conv, w.doc, 0, w.key, w.authors)
    const reloaded = new Outbox(inner)
    await reloaded.load()
    const links = chainOf(reloaded, w.conv, w.doc)
    expectLinked(links, links[0]!.seq, links[0]!.prev)
    const acked = 40 - reloaded.pendingMessageIds().length
    // Every message is either acknowledged (seq 1, removed) or still sealed, exactly once, in order.
    const sealedIds = links.flatMap((l) => l.msgIds)
    expect(sealedIds).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).slice(acked))
    expect(reloaded.raw(w.conv, w.doc)).toEqual([])
  })
})
