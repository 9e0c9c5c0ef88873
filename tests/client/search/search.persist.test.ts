import { afterEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { readIndex, SEARCH_FORMAT } from '../../../client/core/search/indexRecord.js'
import type { LocalStore } from '../../../client/core/storage/LocalStore.js'
import * as z from 'zod'
import { decodeRecord, encodeRecord } from '../../../client/core/storage/records.js'
import { newConvId } from '../../../client/core/ids.js'
import { close, closeAll, countingStore, offline, reopen, texts } from './helpers.js'

/** [M53][M54] The index on the device's store: kept across a reopen, rebuilt when it cannot be used. */
afterEach(closeAll)

/** Alice writes `n` numbered notes into one conversation, segments of `capacity`, and indexes them. */
async function history(n: number, capacity: number): Promise<{ store: LocalStore; conv: ConvId }> {
  const { messenger: m, store } = await offline('Alice', { segmentCapacity: capacity })
  const conv = await m.createConversation('Logbook')
  for (let i = 0; i < n; i++) await m.send(conv, `note ${i} token${i} ${i % 2 ? 'odd' : 'even'}`)
  await m.searchIndexed()
  await close(m)
  return { store, conv }
}

const records = async (store: LocalStore) => (await store.range(['search'])).filter((e) => e.key.length === 3)

describe('[M53][M54] the index on the store', () => {
  test('[M53] a reopened device searches its saved index: no segment is read again, no document chunk either', async () => {
    const { store, conv } = await history(30, 10)
    const saved = await records(store)
    expect(saved).toHaveLength(3) // one record per segment
    expect(saved.every((e) => e.key[1] === conv)).toBe(true)
    expect((await store.range(['search'])).some((e) => e.key[3] === 'stale')).toBe(false)
    for (const e of saved) expect(readIndex(e.value)).toMatchObject({ ok: true, count: 10 })

    const counting = countingStore(store)
    const again = await reopen(counting.store, 10)
    counting.reset() // what opening itself read (the outbox still holds the notes) is not the index's
    expect(texts(await again.search('token3 '))).toEqual(['note 3 token3 odd'])
    await again.searchIndexed()
    expect((await again.search('odd', { limit: 200 })).length).toBe(15)
    expect(again.searchStatus()).toEqual({ indexing: false, segments: 3, queued: 0, read: 0 })
    expect(counting.reads.filter((k) => k[0] === 'am' || k[0] === 'doc')).toEqual([])
  })

  test('[M54] a record of an older format is rebuilt from its segment; the others are kept', async () => {
    const { store } = await history(30, 10)
    const [first] = await records(store)
    await store.write([{ key: first!.key, value: encodeRecord({ v: SEARCH_FORMAT - 1, count: 0, msgs: [], index: '{}' }) }])
    const again = await reopen(store, 10)
    await again.searchIndexed()
    expect(again.searchStatus().read).toBe(1)
    expect(texts(await again.search('token0 '))).toEqual(['note 0 token0 even'])
    expect(readIndex((await store.get(first!.key))!)).toMatchObject({ ok: true, count: 10 })
  })

  test('[M54] a corrupted record is rebuilt, not a crash, and no message is lost; nothing is set aside', async () => {
    const { store } = await history(30, 10)
    const [a, b, c] = await records(store)
    const whole = decodeRecord(c!.value, z.object({ v: z.number(), count: z.number(), names: z.array(z.string()), titles: z.array(z.string()), msgs: z.array(z.array(z.unknown())) }))!
    await store.write([
      { key: a!.key, value: randomBytes(300) },
      // Well-formed, but of no shape a record has.
      { key: b!.key, value: encodeRecord({ v: SEARCH_FORMAT, count: 1, msgs: [], index: '{"documentCount": "x"' }) },
      // Well-formed, but a message names an author not in its table, and another is there twice.
      { key: c!.key, value: encodeRecord({ ...whole, msgs: [[...whole.msgs[0]!.slice(0, 4), 99, 0], whole.msgs[1], whole.msgs[1]] }) },
    ])
    const again = await reopen(store, 10)
    await again.searchIndexed()
    expect(again.searchStatus().read).toBe(3)
    expect((await again.search('note', { limit: 200 })).length).toBe(30)
    expect(again.corruptRecords).toEqual([])
    for (const e of await records(store)) expect(readIndex(e.value).ok).toBe(true)
  })

  test('[M53] an index that is missing is built from the documents, older segments too, one segment at a time', async () => {
    const { store, conv } = await history(12, 4)
    await store.removeRange(['search'])
    const again = await reopen(store, 4)
    expect(again.searchStatus()).toEqual({ indexing: false, segments: 0, queued: 0, read: 0 })
    expect(texts(await again.search('token1 '))).toEqual([]) // a search does not wait for the walk
    await again.searchIndexed()
    expect(again.searchStatus()).toMatchObject({ segments: 3, read: 3 })
    expect(texts(await again.search('token1 '))).toEqual(['note 1 token1 odd'])
    expect((await records(store)).map((e) => e.key[1])).toEqual([conv, conv, conv])
  })

  test('[M53] 2,000 messages over five segments: every one is found, the oldest segments included, without loading them into the window', async () => {
    const { store, conv } = await history(2000, 400)
    await store.removeRange(['search'])
    const again = await reopen(store, 400)
    await again.searchIndexed()
    expect(again.searchStatus()).toMatchObject({ segments: 5, read: 5 })
    for (const i of [0, 399, 400, 1234, 1999]) expect(texts(await again.search(`token${i} `)), `note ${i}`).toEqual([`note ${i} token${i} ${i % 2 ? 'odd' : 'even'}`])
    expect((await again.search('even', { limit: 500 })).length).toBe(200) // the limit holds
    expect(again.messages(conv)).toEqual([]) // nothing was opened
    // [M52] Context is bounded: at most 100 messages on a side.
    const [late] = await again.search('token1500 ')
    const around = await again.messageContext(conv, late!.id, 1000, 1000, late!.segment)
    expect(around).toHaveLength(201)
    expect(around[100]!.text).toBe('note 1500 token1500 even')
  }, 120_000)

  test('[M50] records of a conversation no longer on this device are removed when the index loads', async () => {
    const { store, conv } = await history(3, 10)
    const gone = newConvId()
    const [own] = await records(store)
    await store.write([{ key: ['search', gone, own!.key[2]!], value: own!.value }, { key: ['search', gone, own!.key[2]!, 'stale'], value: new Uint8Array([1]) }])
    const again = await reopen(store, 10)
    await again.searchIndexed()
    expect((await store.range(['search'])).map((e) => e.key[1])).toEqual([conv])
    expect((await again.search('note', { limit: 200 })).map((h) => h.conv)).toEqual([conv, conv, conv])
  })
})
