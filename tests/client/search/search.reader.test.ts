import { afterEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { DocStore, documentId } from '../../../client/core/documents/docs.js'
import { SEGMENT_GENESIS, segmentDocId } from '../../../client/core/documents/model.js'
import { newConvId } from '../../../client/core/ids.js'
import { readSegmentMessages } from '../../../client/core/search/segmentReader.js'
import { eraseOrg } from '../../../client/core/wipe/erase.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { encodeRecord } from '../../../client/core/storage/records.js'
import { close, closeAll, offline } from './helpers.js'

afterEach(closeAll)

describe('[M53] reading segments for the index', () => {
  test('[M53] a segment not loaded is read from its stored chunks and not kept loaded; one loaded is read as it is now', async () => {
    const { messenger: m, store } = await offline('Alice', { segmentCapacity: 3 })
    const conv = await m.createConversation('Logbook')
    for (let i = 0; i < 5; i++) await m.send(conv, `note ${i}`)
    await close(m)
    const docs = new DocStore(store, 'ab'.repeat(32), () => SEGMENT_GENESIS)
    const [s0, s1, s2] = [0, 1, 2].map((i) => segmentDocId(conv, i))
    expect((await readSegmentMessages(docs, store, s0!))?.map((v) => v.text)).toEqual(['note 0', 'note 1', 'note 2'])
    expect(docs.isLoaded(s0!)).toBe(false)
    await docs.doc(s1!)
    expect((await readSegmentMessages(docs, store, s1!))?.map((v) => [v.text, v.segment])).toEqual([['note 3', s1], ['note 4', s1]])
    expect(await readSegmentMessages(docs, store, s2!)).toBeUndefined() // no such segment on this device
    // A marker whose chunks do not load reads as nothing, not as a crash.
    const broken = segmentDocId(conv, 7)
    await store.write([{ key: ['doc', broken], value: new Uint8Array([1]) }, { key: ['am', documentId(broken), 'snapshot', 'h1'], value: randomBytes(64) }])
    expect(await readSegmentMessages(docs, store, broken)).toBeUndefined()
    await docs.shutdown()
  })
})

describe('[M50][M30] the index goes with its space', () => {
  test('[M30] erasing an organisation removes the index records and marks of it and of its groups, and no other', async () => {
    const store = createMemoryStore()
    const [org, group, other]: ConvId[] = [newConvId(), newConvId(), newConvId()]
    await store.write([{ key: ['space', group!], value: encodeRecord({ kind: 'group', org }) }])
    for (const space of [org!, group!, other!]) {
      const seg = segmentDocId(space, 0)
      await store.write([{ key: ['search', space, seg], value: new Uint8Array([1]) }, { key: ['search', space, seg, 'stale'], value: new Uint8Array([1]) }])
    }
    await eraseOrg(store, org!, { spaces: [org!], docs: [] })
    expect((await store.range(['search'])).map((e) => e.key[1])).toEqual([other, other])
  })
})
